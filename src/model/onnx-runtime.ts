// ONNX Runtime, loaded on first use. onnxruntime-node 1.30 writes a device id and an event
// queue under ~/.cache/Microsoft/DeveloperTools/ unless ORT_DISABLE_TELEMETRY is set when its
// native library loads. A static import would be hoisted above any assignment, so the
// package is imported dynamically, after the variable is set; commands that never run the
// network (info, and the classic codecs of bench) never load it at all.

import type * as OnnxRuntime from 'onnxruntime-node';

export type OnnxRuntimeModule = typeof OnnxRuntime;

let loading: Promise<OnnxRuntimeModule> | undefined;

export function loadOnnxRuntime(): Promise<OnnxRuntimeModule> {
  process.env.ORT_DISABLE_TELEMETRY = '1';
  loading ??= import('onnxruntime-node');
  return loading;
}

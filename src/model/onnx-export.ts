// Exports a model bundle's integer network as an ONNX model (IR 8, opset 17), for ONNX
// Runtime on the coding path (docs/gpu.md). The graph is produced by interpreting the same node
// list as the trainer (`interpret` with a NodeOps<string> that emits ONNX nodes), so no
// second copy of the architecture exists. Every value is an integer held in float32 and every
// accumulator stays below 2^24 (checked by `buildArchitecture`), so each op is exact and the
// outputs match the float64 reference and the trainer's forward pass bit for bit.
//
// The protobuf encoding is written here (a few dozen lines) rather than pulled in as a
// dependency: the exporter needs only varints, length-delimited fields and fixed32 floats.

import { ACT_MAX, activationRange, convNodes, outputChannels, type ConvNode } from './architecture.ts';
import type { ModelBundle } from './bundle.ts';
import { interpret, type NodeOps } from './interpret.ts';

export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;
export const ONNX_INPUT_FEATURES = 'features';
/** int64 [1]: the 0-based bias row, i.e. coding step − 1. */
export const ONNX_INPUT_STEP = 'step';
export const ONNX_OUTPUT = 'accumulators';

// ---------------------------------------------------------------------------------------
// Minimal protobuf writer

const WIRE_VARINT = 0;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private scratch: number[] = [];
  private length = 0;

  private flushScratch(): void {
    if (this.scratch.length === 0) return;
    this.chunks.push(Uint8Array.from(this.scratch));
    this.length += this.scratch.length;
    this.scratch = [];
  }

  /** Unsigned varint of a non-negative safe integer or any bigint (two's complement for negatives). */
  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    do {
      const byte = Number(v & 0x7fn);
      v >>= 7n;
      this.scratch.push(v === 0n ? byte : byte | 0x80);
    } while (v !== 0n);
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** int64/int32/enum field (negative values as 10-byte two's complement, as protobuf does). */
  int(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.scratch.push(...b);
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, WIRE_LENGTH);
    this.varint(data.length);
    this.flushScratch();
    this.chunks.push(data);
    this.length += data.length;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** A nested message, its chunks taken over as they are: the weights are copied once, by the outermost finish. */
  message(field: number, inner: ProtoWriter): this {
    inner.flushScratch();
    this.tag(field, WIRE_LENGTH);
    this.varint(inner.length);
    this.flushScratch();
    for (const chunk of inner.chunks) this.chunks.push(chunk);
    this.length += inner.length;
    return this;
  }

  /** Packed repeated int64 field. */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    this.flushScratch();
    if (this.chunks.length === 1) return this.chunks[0];
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    this.chunks = [out];
    return out;
  }
}

// onnx.proto field numbers and enums (onnx/onnx.proto, IR version 8).
const ModelProto = { ir_version: 1, producer_name: 2, producer_version: 3, doc_string: 6, graph: 7, opset_import: 8 } as const;
const OperatorSetIdProto = { domain: 1, version: 2 } as const;
const GraphProto = { node: 1, name: 2, initializer: 5, input: 11, output: 12 } as const;
const NodeProto = { input: 1, output: 2, name: 3, op_type: 4, attribute: 5 } as const;
const AttributeProto = { name: 1, f: 2, i: 3, s: 4, ints: 8, type: 20 } as const;
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;
const TensorProto = { dims: 1, data_type: 2, name: 8, raw_data: 9 } as const;
const DataType = { FLOAT: 1, INT64: 7 } as const;
const ValueInfoProto = { name: 1, type: 2 } as const;
const TypeProto = { tensor_type: 1 } as const;
const TypeProtoTensor = { elem_type: 1, shape: 2 } as const;
const TensorShapeProto = { dim: 1 } as const;
const Dimension = { dim_value: 1, dim_param: 2 } as const;

type Attribute = { name: string } & ({ int: number } | { ints: number[] } | { float: number } | { string: string });

function attributeProto(a: Attribute): ProtoWriter {
  const w = new ProtoWriter().string(AttributeProto.name, a.name);
  if ('int' in a) w.int(AttributeProto.i, a.int).int(AttributeProto.type, AttributeType.INT);
  else if ('ints' in a) w.packedInts(AttributeProto.ints, a.ints).int(AttributeProto.type, AttributeType.INTS);
  else if ('float' in a) w.float(AttributeProto.f, a.float).int(AttributeProto.type, AttributeType.FLOAT);
  else w.string(AttributeProto.s, a.string).int(AttributeProto.type, AttributeType.STRING);
  return w;
}

/** Whether this host stores numbers little-endian, as ONNX's raw_data does. */
const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function tensorProto(name: string, dims: number[], data: Float32Array | BigInt64Array): ProtoWriter {
  // The array's own bytes (fresh arrays, never changed after): the outermost finish copies them.
  let raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (!LITTLE_ENDIAN_HOST) {
    // Through a DataView, so that the bytes are little-endian on any host (not run on the
    // little-endian machines the tests run on).
    raw = new Uint8Array(data.byteLength);
    const view = new DataView(raw.buffer);
    if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true);
    else for (let i = 0; i < data.length; i++) view.setBigInt64(8 * i, data[i], true);
  }
  return new ProtoWriter()
    .packedInts(TensorProto.dims, dims)
    .int(TensorProto.data_type, data instanceof Float32Array ? DataType.FLOAT : DataType.INT64)
    .string(TensorProto.name, name)
    .bytes(TensorProto.raw_data, raw);
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) {
    const dim = typeof d === 'number' ? new ProtoWriter().int(Dimension.dim_value, d) : new ProtoWriter().string(Dimension.dim_param, d);
    shape.message(TensorShapeProto.dim, dim);
  }
  const tensorType = new ProtoWriter().int(TypeProtoTensor.elem_type, elemType).message(TypeProtoTensor.shape, shape);
  return new ProtoWriter().string(ValueInfoProto.name, name).message(ValueInfoProto.type, new ProtoWriter().message(TypeProto.tensor_type, tensorType));
}

// ---------------------------------------------------------------------------------------
// Graph construction

class GraphBuilder {
  readonly nodes: ProtoWriter[] = [];
  readonly initializers: ProtoWriter[] = [];
  private readonly constants = new Map<string, string>();
  private counter = 0;

  fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  node(opType: string, inputs: string[], attributes: Attribute[] = [], hint = opType.toLowerCase()): string {
    return this.nodeNamed(this.fresh(hint), opType, inputs, attributes);
  }

  /** A node whose output gets the given name (the graph output). */
  nodeNamed(output: string, opType: string, inputs: string[], attributes: Attribute[] = []): string {
    const w = new ProtoWriter();
    for (const i of inputs) w.string(NodeProto.input, i);
    w.string(NodeProto.output, output).string(NodeProto.name, `${opType}_${output}`).string(NodeProto.op_type, opType);
    for (const a of attributes) w.message(NodeProto.attribute, attributeProto(a));
    this.nodes.push(w);
    return output;
  }

  initializer(name: string, dims: number[], data: Float32Array | BigInt64Array): string {
    this.initializers.push(tensorProto(name, dims, data));
    return name;
  }

  /** A shared float32 scalar constant (rank 0). */
  scalar(value: number): string {
    const key = `f32:${Object.is(value, -0) ? '-0' : value}`;
    let name = this.constants.get(key);
    if (name === undefined) {
      name = this.initializer(`const_${this.constants.size}`, [], Float32Array.of(value));
      this.constants.set(key, name);
    }
    return name;
  }

  int64s(values: number[]): string {
    const key = `i64:${values.join(',')}`;
    let name = this.constants.get(key);
    if (name === undefined) {
      name = this.initializer(`const_${this.constants.size}`, [values.length], BigInt64Array.from(values, BigInt));
      this.constants.set(key, name);
    }
    return name;
  }

  floats(values: number[]): string {
    const key = `f32s:${values.join(',')}`;
    let name = this.constants.get(key);
    if (name === undefined) {
      name = this.initializer(`const_${this.constants.size}`, [values.length], Float32Array.from(values));
      this.constants.set(key, name);
    }
    return name;
  }
}

/** HWIO [k, k, cin, cout] int8 → OIHW [cout, cin, k, k] float32. */
export function hwioToOihw(w: Int8Array, k: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let y = 0; y < k; y++)
    for (let x = 0; x < k; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * k + y) * k + x] = w[((y * k + x) * cin + i) * cout + o];
  return out;
}

function onnxOps(bundle: ModelBundle, g: GraphBuilder): NodeOps<string> {
  const exponents = new Map(bundle.meta.layers.map((l) => [l.name, l.exponent]));
  return {
    conv(node: ConvNode, x: string): string {
      const { name, kernel: k, cin, cout } = node;
      const weight = bundle.weights.get(name);
      const bias = bundle.biases.get(name);
      const exponent = exponents.get(name);
      if (!weight || !bias || exponent === undefined) throw new Error(`model bundle has no layer ${name}`);
      const wName = g.initializer(`${name}.weight`, [cout, cin, k, k], hwioToOihw(weight, k, cin, cout));
      const pad = (k - 1) / 2;
      const conv = g.node('Conv', [x, wName], [
        { name: 'kernel_shape', ints: [k, k] },
        { name: 'pads', ints: [pad, pad, pad, pad] },
        { name: 'strides', ints: [1, 1] },
        { name: 'dilations', ints: [1, 1] },
        { name: 'group', int: 1 },
      ], `${name}.conv`);
      let b: string;
      if (bias.length === cout) {
        b = g.initializer(`${name}.bias`, [1, cout, 1, 1], Float32Array.from(bias));
      } else {
        const rows = bias.length / cout;
        const table = g.initializer(`${name}.bias_table`, [rows, cout], Float32Array.from(bias));
        const row = g.node('Gather', [table, ONNX_INPUT_STEP], [{ name: 'axis', int: 0 }], `${name}.bias_row`);
        b = g.node('Reshape', [row, g.int64s([1, cout, 1, 1])], [], `${name}.bias`);
      }
      const acc = g.node('Add', [conv, b], [], `${name}.acc`);
      if (node.act === 'none') return acc;
      const [lo, hi] = activationRange(node.act);
      const scaled = g.node('Mul', [acc, g.scalar(2 ** -exponent)], [], `${name}.scaled`);
      const half = g.node('Add', [scaled, g.scalar(0.5)], [], `${name}.half`);
      const rounded = g.node('Floor', [half], [], `${name}.round`);
      return g.node('Clip', [rounded, g.scalar(lo), g.scalar(hi)], [], `${name}.act`);
    },
    add(a: string, b: string): string {
      const sum = g.node('Add', [a, b], [], 'residual');
      return g.node('Clip', [sum, g.scalar(-ACT_MAX), g.scalar(ACT_MAX)], [], 'residual_clip');
    },
    down(x: string): string {
      // The average of four integers is a multiple of 1/4: exact in any summation order.
      const avg = g.node('AveragePool', [x], [
        { name: 'kernel_shape', ints: [2, 2] },
        { name: 'strides', ints: [2, 2] },
      ], 'down_avg');
      return g.node('Floor', [g.node('Add', [avg, g.scalar(0.5)], [], 'down_half')], [], 'down');
    },
    up(x: string): string {
      return g.node('Resize', [x, '', g.floats([1, 1, 2, 2])], [
        { name: 'mode', string: 'nearest' },
        { name: 'coordinate_transformation_mode', string: 'asymmetric' },
        { name: 'nearest_mode', string: 'floor' },
      ], 'up');
    },
  };
}

/** Serialises the bundle's integer network as an ONNX ModelProto. */
export function exportOnnx(bundle: ModelBundle): Uint8Array {
  const input = bundle.nodes[0];
  if (input.op !== 'input') throw new Error('architecture must start with its input node');
  const featureChannels = input.channels;
  if (convNodes(bundle.nodes).length !== bundle.meta.layers.length) throw new Error('model bundle layers do not match its architecture');

  const g = new GraphBuilder();
  const nchw = g.node('Transpose', [ONNX_INPUT_FEATURES], [{ name: 'perm', ints: [0, 3, 1, 2] }], 'features_nchw');
  const result = interpret(bundle.nodes, nchw, onnxOps(bundle, g));
  g.nodeNamed(ONNX_OUTPUT, 'Transpose', [result], [{ name: 'perm', ints: [0, 2, 3, 1] }]);

  const graph = new ProtoWriter();
  for (const n of g.nodes) graph.message(GraphProto.node, n);
  graph.string(GraphProto.name, 'vdmzip_denoiser');
  for (const t of g.initializers) graph.message(GraphProto.initializer, t);
  // Height and width are free: the network is fully convolutional, and the coder runs it on
  // canvases of several patches as well as on single ones.
  graph.message(GraphProto.input, valueInfo(ONNX_INPUT_FEATURES, DataType.FLOAT, ['N', 'H', 'W', featureChannels]));
  graph.message(GraphProto.input, valueInfo(ONNX_INPUT_STEP, DataType.INT64, [1]));
  graph.message(GraphProto.output, valueInfo(ONNX_OUTPUT, DataType.FLOAT, ['N', 'H', 'W', outputChannels(bundle.meta.config)]));

  return new ProtoWriter()
    .int(ModelProto.ir_version, ONNX_IR_VERSION)
    .string(ModelProto.producer_name, 'vdmzip')
    .string(ModelProto.producer_version, '1')
    .string(ModelProto.doc_string, `vdmzip integer denoiser, model ${bundle.id}`)
    .message(ModelProto.graph, graph)
    .message(ModelProto.opset_import, new ProtoWriter().string(OperatorSetIdProto.domain, '').int(OperatorSetIdProto.version, ONNX_OPSET))
    .finish();
}

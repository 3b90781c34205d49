// Walks the architecture's node list once, handing each node to an implementation of the five
// operations: the ONNX exporter, and counts such as the benchmark's multiply-accumulates. (The
// PyTorch trainer walks the same list, read from network.json, in training/network.py.)
//
// Specified in docs/format.md §9.3.

import type { ConvNode, Node } from './architecture.ts';

export interface NodeOps<T> {
  conv(node: ConvNode, x: T): T;
  /** Residual sum, clamped to the signed activation range. */
  add(a: T, b: T): T;
  /** 2×2 average, rounded half up to the activation grid. */
  down(x: T): T;
  /** 2× nearest-neighbour upsampling. */
  up(x: T): T;
}

export function interpret<T>(nodes: Node[], input: T, ops: NodeOps<T>): T {
  const values: T[] = new Array(nodes.length);
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    switch (node.op) {
      case 'input':
        values[i] = input;
        break;
      case 'conv':
        values[i] = ops.conv(node, values[node.src]);
        break;
      case 'add':
        values[i] = ops.add(values[node.a], values[node.b]);
        break;
      case 'down':
        values[i] = ops.down(values[node.src]);
        break;
      case 'up':
        values[i] = ops.up(values[node.src]);
        break;
    }
  }
  return values[nodes.length - 1];
}

/**
 * The compact JSON of `/v1/health/service/:name` answers, built from cached pieces so that a
 * change re-encodes only what it touched (D81):
 * - one shared node piece: the `Node` object and the node checks (serfHealth and node-level
 *   checks), encoded once per change of the node or of a node check;
 * - one piece per instance: its `Service` object and its own checks, cached per instance record
 *   and valid while the instance record and its check records are the same objects (records are
 *   immutable: every change, an output-only one included, replaces the record);
 * - blocks of {@link BLOCK} consecutive entries, concatenated once and reused while their
 *   pieces are the same; the answer is the list of blocks, written to the socket as they are
 *   (no copy into one buffer).
 * The bytes are exactly `JSON.stringify` of the entries the route renders
 * (`{Node, Service, Checks: [...nodeChecks, ...own]}`, in that key order).
 */
import type { Catalog } from '../catalog/catalog.js';
import type { CheckRecord, InstanceRecord, NodeInfo } from '../catalog/types.js';
import { checkShape } from './shapes/check-shape.js';
import { nodeShape } from './shapes/node-shape.js';
import { nodeServiceShape } from './shapes/service-shape.js';

/** Entries per block. */
export const BLOCK = 32;
/** Selections whose blocks are kept (by query); the oldest is dropped beyond this. */
const MAX_SELECTIONS = 1024;

interface NodePiece {
  readonly node: NodeInfo;
  readonly nodeChecks: readonly CheckRecord[];
  /** `{"Node":{…},"Service":` */
  readonly head: Buffer;
  /** `,"Checks":[` plus the node checks. */
  readonly checks: Buffer;
  readonly hasNodeChecks: boolean;
}

interface InstancePiece {
  readonly own: readonly CheckRecord[];
  /** The `Service` object. */
  readonly service: Buffer;
  /** The own checks, comma-separated (no brackets), empty for none. */
  readonly checks: Buffer;
}

interface Block {
  readonly node: NodePiece;
  /** The entries it was built from: a block whose entries are the same records is reused as is. */
  readonly instances: readonly InstanceRecord[];
  readonly owns: readonly (readonly CheckRecord[])[];
  readonly pieces: readonly InstancePiece[];
  readonly bytes: Buffer;
}

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');
const END_ENTRY = Buffer.from(']}');

/** Encoded health/service entries of one catalog, cached by piece. */
export class HealthEntries {
  readonly #catalog: Catalog;
  #node: NodePiece | undefined;
  readonly #instances = new WeakMap<InstanceRecord, InstancePiece>();
  readonly #selections = new Map<string, Block[]>();
  /** Counters of the work done (tests check that a change re-encodes what it should, no more). */
  readonly stats = { nodeEncodes: 0, instanceEncodes: 0, blockJoins: 0 };

  readonly #block: number;

  /** `block`: entries per block (default {@link BLOCK}; tests use small ones). */
  constructor(catalog: Catalog, block = BLOCK) {
    this.#catalog = catalog;
    this.#block = block;
  }

  /**
   * The JSON array of the entries, as chunks to send back to back (`[`, the blocks with commas
   * between them, `]`). Entry `i` is `instances[i]` with its own checks `owns[i]` (sorted by ID,
   * as the catalog gives them). `selection` names the query that chose them (its blocks are
   * reused by the next call with the same selection).
   */
  encode(selection: string, instances: readonly InstanceRecord[], owns: readonly (readonly CheckRecord[])[]): Buffer[] {
    const node = this.#nodePiece();
    const previous = this.#selections.get(selection) ?? [];
    const blocks: Block[] = [];
    for (let start = 0, b = 0; start < instances.length; start += this.#block, b++) {
      const end = Math.min(start + this.#block, instances.length);
      const old = previous[b];
      // Same node and same records as last time: the block as it was, without a piece lookup.
      if (old && old.node === node && sameEntries(old, instances, owns, start, end)) {
        blocks.push(old);
        continue;
      }
      const pieces: InstancePiece[] = [];
      for (let i = start; i < end; i++) pieces.push(this.#instancePiece(instances[i]!, owns[i]!));
      blocks.push(old && old.node === node && samePieces(old.pieces, pieces) ? old : this.#join(node, instances, owns, start, end, pieces));
    }
    this.#selections.delete(selection);
    this.#selections.set(selection, blocks);
    if (this.#selections.size > MAX_SELECTIONS) this.#selections.delete(this.#selections.keys().next().value!);
    const parts: Buffer[] = [OPEN];
    for (const block of blocks) {
      if (parts.length > 1) parts.push(COMMA);
      parts.push(block.bytes);
    }
    parts.push(CLOSE);
    return parts;
  }

  #nodePiece(): NodePiece {
    const node = this.#catalog.node;
    const nodeChecks = this.#catalog.nodeChecks();
    const cached = this.#node;
    if (cached && cached.node === node && sameRecords(cached.nodeChecks, nodeChecks)) return cached;
    this.stats.nodeEncodes++;
    const checks = nodeChecks.map((c) => JSON.stringify(checkShape(c, this.#catalog))).join(',');
    this.#node = {
      node,
      nodeChecks: [...nodeChecks],
      head: Buffer.from(`{"Node":${JSON.stringify(nodeShape(node))},"Service":`),
      checks: Buffer.from(`,"Checks":[${checks}`),
      hasNodeChecks: nodeChecks.length > 0,
    };
    return this.#node;
  }

  #instancePiece(instance: InstanceRecord, own: readonly CheckRecord[]): InstancePiece {
    const cached = this.#instances.get(instance);
    if (cached && sameRecords(cached.own, own)) return cached;
    this.stats.instanceEncodes++;
    const piece: InstancePiece = {
      own: [...own],
      service: pieceBuffer(JSON.stringify(nodeServiceShape(instance))),
      checks: pieceBuffer(own.map((c) => JSON.stringify(checkShape(c, this.#catalog))).join(',')),
    };
    this.#instances.set(instance, piece);
    return piece;
  }

  /** One block's bytes: its entries' pieces copied once into one buffer (no string in between). */
  #join(
    node: NodePiece,
    instances: readonly InstanceRecord[],
    owns: readonly (readonly CheckRecord[])[],
    start: number,
    end: number,
    pieces: readonly InstancePiece[],
  ): Block {
    this.stats.blockJoins++;
    const parts: Buffer[] = [];
    let length = 0;
    for (const p of pieces) {
      if (parts.length > 0) {
        parts.push(COMMA);
        length += 1;
      }
      parts.push(node.head, p.service, node.checks);
      length += node.head.length + p.service.length + node.checks.length;
      if (p.checks.length > 0) {
        if (node.hasNodeChecks) {
          parts.push(COMMA);
          length += 1;
        }
        parts.push(p.checks);
        length += p.checks.length;
      }
      parts.push(END_ENTRY);
      length += END_ENTRY.length;
    }
    return { node, instances: instances.slice(start, end), owns: owns.slice(start, end), pieces, bytes: Buffer.concat(parts, length) };
  }
}

/**
 * A piece's bytes in a buffer of its own: `Buffer.from` would slice small strings out of Node's
 * shared 8 KiB pool, and a cached piece would then keep its whole pool chunk alive after the
 * pieces around it were dropped.
 */
function pieceBuffer(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const out = Buffer.allocUnsafeSlow(length);
  out.write(text, 0, length);
  return out;
}

/** True when entries `start..end` are the block's instance and check records, in order. */
function sameEntries(
  block: Block,
  instances: readonly InstanceRecord[],
  owns: readonly (readonly CheckRecord[])[],
  start: number,
  end: number,
): boolean {
  if (block.instances.length !== end - start) return false;
  for (let i = start; i < end; i++) {
    if (instances[i] !== block.instances[i - start] || !sameRecords(owns[i]!, block.owns[i - start]!)) return false;
  }
  return true;
}

function samePieces(a: readonly InstancePiece[], b: readonly InstancePiece[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameRecords(a: readonly CheckRecord[], b: readonly CheckRecord[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

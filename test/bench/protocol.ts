/**
 * What the orchestrator (run.ts) and the load workers (worker.ts) say to each other over the
 * child-process IPC channel, and the shapes both sides share.
 */

export type Transport = 'ws' | 'grpc';

export interface BenchUser {
  login: string;
  /** `usr…` */
  uid: string;
  /** base64 token for `{login scheme=token}` */
  token: string;
}

export interface Target {
  /** `host:port` of the websocket endpoint. */
  ws: string;
  /** `host:port` of the gRPC endpoint, or null. */
  grpc: string | null;
  transport: Transport;
  /** Offer permessage-deflate (websocket only). */
  deflate: boolean;
}

/** One session to open: connect, `{hi}`, `{login token}`, then the subscriptions in order. */
export interface SessionSpec {
  /** Index of the session in the scenario (unique across workers). */
  idx: number;
  user: BenchUser;
  /** Attach `me` with `get desc`, as the reference's MeLoadtest does. */
  subMe: boolean;
  /** Other topics to attach (`grp…`, or `usr…` for a p2p topic). */
  topics: string[];
}

/** A session that publishes during a load phase. */
export interface PublisherSpec {
  idx: number;
  topic: string;
  /** Messages per second (open loop), or 0 for closed loop on `window`. */
  rate: number;
  /** Closed loop: at most this many messages of this publisher not yet echoed back to it. */
  window: number;
}

export interface ReaderSpec {
  idx: number;
  topic: string;
  /** Highest seq in the topic: pages are read `before` a random seq in 2..top+1. */
  top: number;
  limit: number;
}

export type ToWorker =
  /** `targets`: the nodes of the target (one, or a cluster's); session `idx` goes to `targets[idx % length]`. */
  | { type: 'open'; targets: Target[]; sessions: SessionSpec[]; concurrency: number; timeoutMs: number }
  | { type: 'load'; publishers: PublisherSpec[]; measureFrom: number; size: number }
  | { type: 'stop-load' }
  | { type: 'read'; readers: ReaderSpec[]; measureFrom: number }
  | { type: 'stop-read' }
  | { type: 'report' }
  | { type: 'reset' }
  | { type: 'close' };

export interface OpenResult {
  type: 'opened';
  ok: number;
  failed: number;
  /** A few failure reasons, for the report. */
  errors: string[];
  /** Time of the last session attached (ms, wall clock, sub-millisecond). */
  doneAt: number;
  /** Per-session time from connect to the last subscription answered. */
  hist: number[];
}

export interface LoadReport {
  type: 'report';
  /** Publications sent (all, and within the measured window). */
  published: number;
  measuredPub: number;
  /** 2xx `{ctrl}` answers to publications, and other answers. */
  acked: number;
  nacked: number;
  /** Deliveries of messages published at or after measureFrom: to other sessions, and echoes. */
  delivered: number;
  echoed: number;
  /** Earliest and latest send time of a measured publication. */
  firstPub: number;
  lastPub: number;
  /** Latency of measured deliveries (histogram buckets, see histogram.ts). */
  hist: number[];
  /** Pages read and data messages in them (scenario d). */
  pages: number;
  pageMessages: number;
  pageErrors: number;
  /** Sessions found closed. */
  closed: number;
  errors: string[];
}

export type FromWorker = OpenResult | LoadReport | { type: 'ready' } | { type: 'ok' } | { type: 'error'; message: string };

/** Wall-clock time in milliseconds with sub-millisecond precision, comparable across processes. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** The API key the default salt validates. */
export const API_KEY = 'AQEAAAABAAD_rAp4DJh05a1HAwFT3A6K';

/** Limits from the config that requests are held to, wherever they are handled. */
export interface Limits {
  maxMessageSize: number;
  maxSubscriberCount: number;
  maxTagCount: number;
  maxFileUploadSize: number;
  /** Seconds; 0 for no limit. */
  msgDeleteAge: number;
  permanentAccounts: boolean;
  defaultCountryCode: string;
  /** Client messages a session queues before reading from it pauses. */
  inboundQueue: number;
  /** `{pub}` (and `{note}`) per second and session; 0: no limit. */
  publishRate: number;
  publishBurst: number;
  /**
   * Presence of members coming and going, broadcast to at least `presenceBatchSessions` attached
   * sessions, may wait up to `presenceBatchMs` to share a write with others (0: never waits).
   */
  presenceBatchMs: number;
  presenceBatchSessions: number;
  /** Such frames one session holds at most. */
  presenceBatchFrames: number;
}

import type { TransportName } from './conns.js';
import type { SlotSpec } from './driver.js';
import type { Role, World } from './world.js';

/**
 * How a run's frames are spread over sessions. Websocket is the cheapest per frame, gRPC costs
 * the server about twice as much (HTTP/2 framing, protobuf), long polling more still (two HTTP
 * requests per message and answer, one answer per poll): the shares below let the slots of all
 * three finish at about the same time on the CI machine, so that the server stays busy to the
 * end. Every transport has sessions logged in as each sample fuzz user, one that only said
 * `{hi}`, and (websocket) one that said nothing; one websocket session offers
 * permessage-deflate, which makes it slower (zlib on both sides): it gets half a share.
 */

/** Share of the frames per transport. */
export const TRANSPORT_SHARE: Record<TransportName, number> = { ws: 0.67, grpc: 0.25, lp: 0.08 };

export function plan(frames: number, world: World): SlotSpec[] {
  const users: Role[] = world.users.map((user) => ({ kind: 'user', user }));
  const roles: Record<TransportName, Role[]> = {
    ws: [...users, users[0]!, { kind: 'hi' }, { kind: 'raw' }],
    grpc: [...users, { kind: 'hi' }],
    lp: [users[users.length - 1]!, { kind: 'hi' }],
  };
  const specs: SlotSpec[] = [];
  for (const transport of ['ws', 'grpc', 'lp'] as const) {
    const list = roles[transport];
    const total = Math.round(frames * TRANSPORT_SHARE[transport]);
    const weights = list.map((_, i) => (transport === 'ws' && i === 1 ? 0.5 : 1));
    const sum = weights.reduce((a, b) => a + b, 0);
    let given = 0;
    list.forEach((role, i) => {
      // The last slot takes the rounding remainder, so that the shares add up to `total`.
      const share = i === list.length - 1 ? total - given : Math.floor((total * (weights[i] ?? 1)) / sum);
      given += share;
      specs.push({ name: `${transport}${i}`, transport, role, frames: share, deflate: transport === 'ws' && i === 1 });
    });
  }
  return specs;
}

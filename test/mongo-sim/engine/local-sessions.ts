// The logical session cache that $listLocalSessions reads: every session id a command arrived
// with, and when it was last used. Sessions are listed until the engine stops (no expiry).
import { createHash } from 'node:crypto';
import { Binary, type Document } from 'bson';

/** The uid of sessions started without authentication: SHA-256 of the empty user name. */
const NO_USER_UID = new Binary(createHash('sha256').update('').digest(), 0);

export class LocalSessions {
  private readonly sessions = new Map<string, { id: unknown; uid: Binary; lastUse: Date }>();

  /** Notes that a command used the session `lsid` now. */
  touch(lsid: Document | undefined, nowMs: number): void {
    if (!lsid || !(lsid.id instanceof Binary)) return;
    const uid = lsid.uid instanceof Binary ? lsid.uid : NO_USER_UID;
    const key = Buffer.from(lsid.id.buffer.subarray(0, lsid.id.position)).toString('hex') + '/' + Buffer.from(uid.buffer).toString('hex');
    this.sessions.set(key, { id: lsid.id, uid, lastUse: new Date(nowMs) });
  }

  /** The documents $listLocalSessions produces: `{_id: {id, uid}, lastUse}`. */
  documents(): Document[] {
    return [...this.sessions.values()].map((s) => ({ _id: { id: s.id, uid: s.uid }, lastUse: s.lastUse }));
  }
}

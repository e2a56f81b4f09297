// replSetGetStatus (administrative commands): the single PRIMARY member of the simulated set.
import { Int32, Long, type Document } from 'bson';
import { CommandError } from '../../engine/types';
import type { CommandCall } from '../context';
import { opTime, TERM } from '../replication-fields';

export function replSetGetStatus(call: CommandCall): Document {
  if (call.db !== 'admin') {
    throw new CommandError(13, 'Unauthorized', 'replSetGetStatus may only be run against the admin database.');
  }
  const { engine, config, stats, election } = call.server;
  const applied = opTime(engine.lastApplied());
  const wall = engine.lastAppliedWall();
  const uptime = new Int32(Math.floor((Date.now() - stats.startedAt.getTime()) / 1000));
  return {
    set: config.replSet,
    date: new Date(),
    myState: new Int32(1),
    term: TERM,
    syncSourceHost: '',
    syncSourceId: new Int32(-1),
    heartbeatIntervalMillis: Long.fromNumber(2000),
    majorityVoteCount: new Int32(1),
    writeMajorityCount: new Int32(1),
    votingMembersCount: new Int32(1),
    writableVotingMembersCount: new Int32(1),
    optimes: {
      lastCommittedOpTime: applied,
      lastCommittedWallTime: wall,
      readConcernMajorityOpTime: applied,
      appliedOpTime: applied,
      durableOpTime: applied,
      lastAppliedWallTime: wall,
      lastDurableWallTime: wall,
    },
    members: [
      {
        _id: new Int32(0),
        name: config.hostAndPort,
        health: new Int32(1),
        state: new Int32(1),
        stateStr: 'PRIMARY',
        uptime,
        optime: applied,
        optimeDate: wall,
        lastAppliedWallTime: wall,
        lastDurableWallTime: wall,
        syncSourceHost: '',
        syncSourceId: new Int32(-1),
        infoMessage: '',
        electionTime: election.time,
        electionDate: election.date,
        configVersion: new Int32(1),
        configTerm: new Int32(1),
        self: true,
        lastHeartbeatMessage: '',
      },
    ],
  };
}

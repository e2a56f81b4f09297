// saslStart, saslContinue, logout and connectionStatus: who the connection is.
import type { Document } from 'bson';
import { isTruthy } from '../bson-values';
import { resourcePatternToDocument } from '../auth/resources';
import type { CommandCall } from '../context';

export function saslStart(call: CommandCall): Document {
  return call.conn.auth.saslStart(call.db, call.cmd);
}

export function saslContinue(call: CommandCall): Document {
  return call.conn.auth.saslContinue(call.db, call.cmd);
}

export function logout(call: CommandCall): Document {
  call.conn.auth.logout(call.db);
  return {};
}

export function connectionStatus(call: CommandCall): Document {
  const { auth } = call.conn;
  const { users } = call.server;
  const user = auth.user;
  const roles = auth.roles();
  const authInfo: Document = {
    authenticatedUsers: user ? [{ user: user.user, db: user.db }] : [],
    authenticatedUserRoles: roles.map((r) => ({ role: r.role, db: r.db })),
  };
  if (isTruthy(call.cmd.showPrivileges)) {
    authInfo.authenticatedUserPrivileges = users
      .privilegesOf(roles)
      .map((p) => ({ resource: resourcePatternToDocument(p.resource), actions: [...p.actions].sort() }));
  }
  return { authInfo };
}

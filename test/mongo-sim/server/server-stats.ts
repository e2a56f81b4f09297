// Counters reported by serverStatus.

export class ServerStats {
  readonly startedAt = new Date();
  connectionsCurrent = 0;
  connectionsTotalCreated = 0;
  bytesIn = 0;
  bytesOut = 0;
  numRequests = 0;
  readonly opcounters = { insert: 0, query: 0, update: 0, delete: 0, getmore: 0, command: 0 };

  /** Counts a command the way mongod's opcounters do: writes per statement, finds, getMores. */
  countCommand(name: string, cmd: Record<string, unknown>): void {
    const count = (field: string) => (Array.isArray(cmd[field]) ? (cmd[field] as unknown[]).length : 0);
    switch (name) {
      case 'insert':
        this.opcounters.insert += count('documents');
        break;
      case 'update':
        this.opcounters.update += count('updates');
        break;
      case 'delete':
        this.opcounters.delete += count('deletes');
        break;
      case 'find':
        this.opcounters.query++;
        break;
      case 'getMore':
        this.opcounters.getmore++;
        break;
      default:
        this.opcounters.command++;
    }
  }
}

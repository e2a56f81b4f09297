// buildInfo (administrative commands): what the impersonated mongod build reports.
import { Int32, type Document } from 'bson';
import type { CommandCall } from '../context';
import { MAX_BSON_OBJECT_SIZE } from '../wire/constants';

export function buildInfo(call: CommandCall): Document {
  const { version } = call.server.config;
  return {
    version: version.version,
    gitVersion: version.gitVersion,
    modules: [],
    allocator: 'tcmalloc',
    javascriptEngine: 'mozjs',
    sysInfo: 'deprecated',
    versionArray: version.versionArray.map((n) => new Int32(n)),
    openssl: { running: 'OpenSSL 3.0.2 15 Mar 2022', compiled: 'OpenSSL 3.0.2 15 Mar 2022' },
    buildEnvironment: {
      distmod: 'ubuntu2204',
      distarch: 'x86_64',
      cc: '/opt/mongodbtoolchain/v4/bin/gcc: gcc (GCC) 11.3.0',
      ccflags: '',
      cxx: '/opt/mongodbtoolchain/v4/bin/g++: g++ (GCC) 11.3.0',
      cxxflags: '',
      linkflags: '',
      target_arch: 'x86_64',
      target_os: 'linux',
      cppdefines: '',
    },
    bits: new Int32(64),
    debug: false,
    maxBsonObjectSize: new Int32(MAX_BSON_OBJECT_SIZE),
    storageEngines: ['devnull', 'wiredTiger'],
  };
}

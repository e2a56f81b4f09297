// Reads of user documents keep every BSON type: numbers stay Int32, Double, Long or Decimal128
// instead of becoming JS numbers, and regular expressions keep their exact flags. Only reads of
// user data use these options; command replies and errors stay promoted, so error codes are
// plain numbers for the driver's own checks and ours.
export const TYPED_READ = { promoteValues: false, promoteLongs: false, bsonRegExp: true } as const;

/**
 * The reference server's MySQL schema, version 116, as `column type[!]` per table (from its
 * documented CreateDb; `!` = NOT NULL). PostgreSQL uses the same columns with its own types:
 * see {@link toPostgres}.
 */
export const REFERENCE_MYSQL: Record<string, string[]> = {
  users: [
    'id bigint!', 'createdat datetime(3)!', 'updatedat datetime(3)!', 'state smallint!', 'stateat datetime(3)', 'access json',
    'lastseen datetime', 'useragent varchar(255)', 'public json', 'trusted json', 'tags json',
  ],
  usertags: ['id int!', 'userid bigint!', 'tag varchar(96)!'],
  devices: ['id int!', 'userid bigint!', 'hash char(16)!', 'deviceid text!', 'platform varchar(32)', 'lastseen datetime!', 'lang varchar(8)'],
  auth: ['id int!', 'uname varchar(32)!', 'userid bigint!', 'scheme varchar(16)!', 'authlvl int!', 'secret varchar(255)!', 'expires datetime'],
  topics: [
    'id int!', 'createdat datetime(3)!', 'updatedat datetime(3)!', 'state smallint!', 'stateat datetime(3)', 'touchedat datetime(3)',
    'name char(25)!', 'usebt tinyint', 'owner bigint!', 'access json', 'seqid int!', 'delid int', 'subcnt int', 'public json',
    'trusted json', 'tags json', 'aux json',
  ],
  topictags: ['id int!', 'topic char(25)!', 'tag varchar(96)!'],
  subscriptions: [
    'id int!', 'createdat datetime(3)!', 'updatedat datetime(3)!', 'deletedat datetime(3)', 'userid bigint!', 'topic char(25)!',
    'delid int', 'recvseqid int', 'readseqid int', 'modewant char(8)', 'modegiven char(8)', 'private json',
  ],
  messages: [
    'id int!', 'createdat datetime(3)!', 'updatedat datetime(3)!', 'deletedat datetime(3)', 'delid int', 'seqid int!',
    'topic char(25)!', 'from bigint!', 'head json', 'content json',
  ],
  dellog: ['id int!', 'topic char(25)!', 'deletedfor bigint!', 'delid int!', 'low int!', 'hi int!'],
  credentials: [
    'id int!', 'createdat datetime(3)!', 'updatedat datetime(3)!', 'deletedat datetime(3)', 'method varchar(16)!', 'value varchar(128)!',
    'synthetic varchar(192)!', 'userid bigint!', 'resp varchar(255)', 'done tinyint!', 'retries int!',
  ],
  fileuploads: [
    'id bigint!', 'createdat datetime(3)!', 'updatedat datetime(3)!', 'userid bigint', 'status int!', 'mimetype varchar(255)!',
    'size bigint!', 'etag varchar(128)', 'location varchar(2048)!',
  ],
  filemsglinks: ['id int!', 'createdat datetime(3)!', 'fileid bigint!', 'msgid int', 'topic char(25)', 'userid bigint'],
  kvmeta: ['key varchar(64)!', 'createdat datetime(3)', 'value text'],
};

/** Named indexes of the reference schema (primary keys aside). */
export const REFERENCE_INDEXES: Record<string, string[]> = {
  users: ['users_lastseen_updatedat', 'users_state_stateat'],
  usertags: ['usertags_tag', 'usertags_userid_tag'],
  devices: ['devices_hash'],
  auth: ['auth_uname', 'auth_userid_scheme'],
  topics: ['topics_name', 'topics_name_state_seqid', 'topics_owner', 'topics_state_stateat'],
  topictags: ['topictags_tag', 'topictags_topic_tag'],
  subscriptions: ['subscriptions_deletedat', 'subscriptions_topic', 'subscriptions_topic_userid', 'subscriptions_userid_topic_deletedat'],
  messages: ['messages_topic_seqid'],
  dellog: ['dellog_deletedfor', 'dellog_topic_delid_deletedfor', 'dellog_topic_deletedfor_low_hi'],
  credentials: ['credentials_uniqueness'],
  fileuploads: ['fileuploads_status'],
  kvmeta: ['kvmeta_createdat_key'],
};

/** The reference's PostgreSQL types for the same columns. */
export function toPostgres(col: string): string {
  return col
    .replace(/ datetime\(3\)/, ' timestamp(3)')
    .replace(/ datetime/, ' timestamp')
    .replace(/ int(!?)$/, ' integer$1')
    .replace(/ tinyint/, ' boolean')
    .replace(/^(name|topic|modewant|modegiven) char\((\d+)\)/, '$1 varchar($2)');
}

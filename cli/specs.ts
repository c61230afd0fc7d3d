import type { CommandSpec, OptionSpec } from './argparse.js';

/** The commands the client understands: their arguments and help, as in the reference client. */

const AS_ROOT: OptionSpec = { name: 'as-root', aliases: ['as_root'], flag: true, help: 'execute the command at ROOT authentication level' };
const TRUSTED_HELP = 'trusted markers: verified, staff, danger; prefix with rm- to remove, e.g. rm-verified';
const CRED_HELP = 'credentials, a comma-separated list of method:value[:response], e.g. email:test@example.com,tel:12345';

export const SERVER_COMMANDS: Record<string, CommandSpec> = {
  acc: {
    name: 'acc',
    description: 'Create or alter an account',
    options: [
      { name: 'user', default: 'new', help: 'ID of the account to update' },
      { name: 'scheme', help: 'authentication scheme, default basic' },
      { name: 'secret', help: 'secret for authentication (login:password for basic)' },
      { name: 'uname', help: 'user name for basic authentication' },
      { name: 'password', help: 'password for basic authentication (asked for when --uname is given without it)' },
      { name: 'do-login', flag: true, help: 'log in with the new account' },
      { name: 'tags', help: 'tags for user discovery, a comma-separated list without spaces' },
      { name: 'fn', help: "user's human name" },
      { name: 'photo', help: 'avatar file name' },
      { name: 'private', help: "user's private info" },
      { name: 'note', help: "user's description" },
      { name: 'trusted', help: TRUSTED_HELP },
      { name: 'auth', help: 'default access mode for authenticated users' },
      { name: 'anon', help: 'default access mode for anonymous users' },
      { name: 'cred', help: CRED_HELP },
      { name: 'suspend', choices: ['true', 'false'], help: 'true to suspend the account, false to un-suspend' },
      AS_ROOT,
    ],
  },
  login: {
    name: 'login',
    description: 'Authenticate the current session',
    positionals: [{ name: 'secret', optional: true, help: 'secret for authentication: login:password for basic' }],
    options: [
      { name: 'scheme', default: 'basic', help: 'authentication scheme' },
      { name: 'secret', help: 'secret for authentication (base64 for schemes other than basic)' },
      { name: 'uname', help: 'user name in basic authentication scheme' },
      { name: 'password', help: 'password in basic authentication scheme (asked for when missing)' },
      { name: 'cred', help: CRED_HELP },
      AS_ROOT,
    ],
  },
  sub: {
    name: 'sub',
    description: 'Subscribe to a topic (attach to it, creating it for new, newXYZ, nch...)',
    positionals: [{ name: 'topic', optional: true, help: 'topic to subscribe to' }],
    options: [
      { name: 'topic', help: 'topic to subscribe to' },
      { name: 'fn', help: "topic's user-visible name" },
      { name: 'photo', help: 'avatar file name' },
      { name: 'private', help: "topic's private info" },
      { name: 'note', help: "topic's description" },
      { name: 'trusted', help: TRUSTED_HELP },
      { name: 'auth', help: 'default access mode for authenticated users' },
      { name: 'anon', help: 'default access mode for anonymous users' },
      { name: 'mode', help: 'new value of access mode' },
      { name: 'tags', help: 'tags for topic discovery, a comma-separated list without spaces' },
      { name: 'get-query', help: 'query for topic metadata or messages, a comma-separated list without spaces, e.g. desc,sub,data' },
      AS_ROOT,
    ],
  },
  leave: {
    name: 'leave',
    description: 'Detach from a topic, or unsubscribe',
    positionals: [{ name: 'topic', optional: true, help: 'topic to detach from' }],
    options: [{ name: 'topic', help: 'topic to detach from' }, { name: 'unsub', flag: true, help: 'detach and unsubscribe from the topic' }, AS_ROOT],
  },
  pub: {
    name: 'pub',
    description: 'Send a message to a topic',
    positionals: [
      { name: 'topic', optional: true, help: 'topic to publish to' },
      { name: 'content', optional: true, help: 'message to send' },
    ],
    options: [
      { name: 'topic', help: 'topic to publish to' },
      { name: 'content', help: 'message to send' },
      { name: 'head', help: 'message headers, a comma-separated list of key:value' },
      { name: 'drafty', help: 'structured message to send, e.g. Drafty content as JSON' },
      { name: 'image', help: 'image file to send inline (PNG, JPEG, GIF, WebP)' },
      { name: 'attachment', help: 'file to send as an in-band attachment' },
      AS_ROOT,
    ],
  },
  get: {
    name: 'get',
    description: 'Query a topic for messages or metadata',
    positionals: [{ name: 'topic', optional: true, help: 'topic to query' }],
    options: [
      { name: 'topic', help: 'topic to query' },
      { name: 'desc', flag: true, help: 'query the topic description' },
      { name: 'sub', flag: true, help: 'query the subscriptions' },
      { name: 'tags', flag: true, help: 'query the tags' },
      { name: 'data', flag: true, help: 'query the messages' },
      { name: 'cred', flag: true, help: 'query the account credentials (topic me)' },
      AS_ROOT,
    ],
  },
  set: {
    name: 'set',
    description: 'Update topic metadata',
    positionals: [{ name: 'topic', optional: true, help: 'topic to update' }],
    options: [
      { name: 'topic', help: 'topic to update' },
      { name: 'fn', help: "topic's title" },
      { name: 'photo', help: 'avatar file name' },
      { name: 'public', help: "topic's public info, instead of --fn, --photo and --note" },
      { name: 'private', help: "topic's private info" },
      { name: 'note', help: "topic's description" },
      { name: 'trusted', help: TRUSTED_HELP },
      { name: 'auth', help: 'default access mode for authenticated users' },
      { name: 'anon', help: 'default access mode for anonymous users' },
      { name: 'user', help: 'ID of the user whose subscription to update' },
      { name: 'mode', help: 'new value of the access mode' },
      { name: 'tags', help: 'tags for topic discovery, a comma-separated list without spaces' },
      { name: 'cred', help: 'credential to add, method:value[:response], e.g. email:test@example.com' },
      AS_ROOT,
    ],
  },
  del: {
    name: 'del',
    description: 'Delete messages, a subscription, a topic, a user or a credential',
    positionals: [{ name: 'what', choices: ['msg', 'sub', 'topic', 'user', 'cred'], help: 'what to delete' }],
    options: [
      { name: 'topic', help: 'topic affected' },
      { name: 'user', help: 'the user to delete, or whose subscription to delete' },
      { name: 'seq', help: '"all" or a list of message IDs and ranges to delete, e.g. "1,2,9-12"' },
      { name: 'hard', flag: true, help: 'delete hard (for everyone, or completely)' },
      { name: 'cred', help: 'credential to delete, method:value, e.g. email:test@example.com' },
      AS_ROOT,
    ],
  },
  note: {
    name: 'note',
    description: 'Send a notification to a topic, e.g. "note grpXYZ kp"',
    positionals: [
      { name: 'topic', help: 'topic to notify' },
      { name: 'what', optional: true, default: 'kp', choices: ['call', 'kp', 'read', 'recv'], help: 'kp (key press), recv or read (receipts), call (video call event)' },
    ],
    options: [
      { name: 'seq', help: 'ID of the message reported (recv, read, call)' },
      { name: 'event', choices: ['accept', 'answer', 'ice-candidate', 'hang-up', 'offer', 'ringing'], help: 'video call event' },
      { name: 'payload', help: 'video call payload, JSON' },
      AS_ROOT,
    ],
  },
  file: {
    name: 'file',
    description: 'Upload or download a large file over gRPC (LargeFileReceive, LargeFileServe), as tn-cli does',
    positionals: [{ name: 'filename', help: 'file to upload, or the URL or name of the file to download' }],
    options: [
      { name: 'what', default: 'down', choices: ['down', 'up'], help: "download 'down' or upload 'up'" },
      { name: 'output', short: 'o', help: 'where to save a download (default: the name the server gives, in the current folder)' },
    ],
  },
  upload: {
    name: 'upload',
    description: 'Upload a file out of band over HTTP(S) to --web-host (tn-cli\'s older way; file --what up goes over gRPC)',
    positionals: [{ name: 'filename', help: 'name of the file to upload' }],
  },
};

export const LOCAL_COMMANDS: Record<string, CommandSpec> = {
  '.await': {
    name: '.await',
    description: 'Send a command and wait for its reply; the reply goes into $variable when one is given.',
    positionals: [
      { name: '$variable', optional: true, help: 'variable to hold the reply' },
      { name: 'command', help: 'the command with its arguments' },
    ],
  },
  '.must': {
    name: '.must',
    description: 'Like .await, but a failed command (code 400 or more, no reply in time) stops a script with an error.',
    positionals: [
      { name: '$variable', optional: true, help: 'variable to hold the reply' },
      { name: 'command', help: 'the command with its arguments' },
    ],
  },
  '.log': {
    name: '.log',
    description: 'Print the value of a variable, e.g. .log $user.params[token]',
    positionals: [{ name: 'varname', help: 'the variable, with a path into it' }],
  },
  '.sleep': {
    name: '.sleep',
    description: 'Pause for a while',
    positionals: [{ name: 'millis', help: 'milliseconds to wait' }],
  },
  '.use': {
    name: '.use',
    description: 'Set the default user (acting on behalf of, root only) or the default topic; an empty value clears it',
    options: [
      { name: 'user', help: 'ID of the default (on behalf of) user' },
      { name: 'topic', help: 'name of the default topic' },
    ],
  },
  '.verbose': { name: '.verbose', description: 'Toggle logging of every message sent and received, as JSON' },
  '.delmark': {
    name: '.delmark',
    description: 'Use this delete marker instead of the default DEL! (a value equal to the marker deletes the field)',
    positionals: [{ name: 'delmark', help: 'marker to use' }],
  },
  '.exit': { name: '.exit', description: 'Exit the client (also .quit)' },
  '.quit': { name: '.quit', description: 'Exit the client (also .exit)' },
};

/** One-line summaries for the command list. */
export const SUMMARIES: [string, string][] = [
  ['.await', 'send a command and wait for its reply'],
  ['.delmark', 'custom delete marker to use instead of DEL!'],
  ['.exit', 'exit the program (also .quit)'],
  ['.log', 'write the value of a variable'],
  ['.must', 'like .await, and a failure stops a script'],
  ['.sleep', 'pause'],
  ['.use', 'set the default user (on behalf of) or topic'],
  ['.verbose', 'toggle logging of all messages'],
  ['acc', 'create or alter an account'],
  ['del', 'delete messages, topic, subscription, user or credential'],
  ['file', 'download or upload a large file over gRPC'],
  ['get', 'query a topic for metadata or messages'],
  ['leave', 'detach or unsubscribe from a topic'],
  ['login', 'authenticate the session'],
  ['note', 'send a notification'],
  ['pub', 'post a message to a topic'],
  ['set', 'update topic metadata'],
  ['sub', 'subscribe to a topic'],
  ['upload', 'upload a file over HTTP(S) to --web-host'],
];

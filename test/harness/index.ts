/**
 * Kong-side test harness for JavaScript plugins: a real plugin server process, Kong's
 * MessagePack-RPC client, and KongSim playing Kong 3.x around it (see README.md).
 * Free of test-runner imports: benches use it from dist/ too.
 */
export { MsgpackStreamDecoder, encodeMsgpack, msgpackObjectEnd, MsgpackFramingError } from './msgpack-wire';
export { MsgpackRpcClient, type RpcOutcome, type WireRecord, type RpcClientOptions } from './rpc-client';
export { PluginServerProcess, dumpAllPlugins, getPluginInfo, runQueryCommand, cleanLogLines, HarnessError, KONG_JS_PLUGINSERVER, REPO_ROOT, type PluginInfo, type PluginServerSpec } from './plugin-server-process';
export { KongSim, type KongSimOptions, type PluginInit, type SimResult, type SimResponse } from './kong-sim';
export { KongHttpFront } from './http-front';
export { ExternalPlugins, withSchemaDefaults, configJson, type PluginServerBinding, type EventRecord, type PdkCallRecord, type Violation, type ViolationKind, type PluginConf } from './external-plugins';
export { PDK_METHODS, type PdkMethodSpec } from './pdk-methods';
export { LuaError, UnmodelledError, type KongLogLine, type PdkCallContext } from './pdk-context';
export { keyAuthPlugin, type NativePlugin, type NativePdk } from './native-plugins';
export { postFunctionPlugin, parseGuardChunk, type ParsedGuard, type GuardCheck } from './post-function';
export { kongService, kongRoute, kongConsumer, keyAuthCredential, DEFAULT_WS_ID, type KongService, type KongRoute, type KongConsumer, type KongCredential, type KongPluginEntity } from './entities';
export { HeaderList, type LuaHeaderTable } from './headers';
export { httpUpstream, keepAliveHttpUpstream, UpstreamError, type UpstreamTransport, type UpstreamRequest, type UpstreamResponse } from './upstream';
export { KongVersion, DEFAULT_KONG_VERSION } from './kong-version';
export { RequestState, type SimRequest, type Phase } from './request-state';
export { cjsonEncode, luaFromMsgpack, luaToWire, formatG14 } from './lua-values';
export { luaString, luaBytes, fromLatin1, toLatin1 } from './lua-strings';

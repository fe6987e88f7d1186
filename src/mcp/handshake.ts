import {
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
  type Transport,
  type TransportSendOptions,
} from '@modelcontextprotocol/client';
import { ImplementationSchema, ServerCapabilitiesSchema } from '@modelcontextprotocol/core';
import { isJsonObject } from '../shared/json-values.js';

type Fields = Record<string, unknown>;

/** Capabilities the SDK's ServerCapabilitiesSchema accepts: an entry that does not parse becomes `{}` when set, or goes. */
function repairCapabilities(capabilities: unknown, problems: string[]): Fields {
  if (!isJsonObject(capabilities)) {
    problems.push(`capabilities is ${JSON.stringify(capabilities) ?? 'missing'}, not an object`);
    return {};
  }
  const repaired: Fields = {};
  for (const [name, value] of Object.entries(capabilities)) {
    if (ServerCapabilitiesSchema.safeParse({ [name]: value }).success) {
      repaired[name] = value;
      continue;
    }
    problems.push(`capabilities.${name} is ${JSON.stringify(value)}, not an object`);
    if (value) repaired[name] = {};
  }
  return repaired;
}

function repairServerInfo(serverInfo: unknown, problems: string[]): Fields {
  if (ImplementationSchema.safeParse(serverInfo).success) return serverInfo as Fields;
  const info = isJsonObject(serverInfo) ? serverInfo : {};
  problems.push(`serverInfo ${JSON.stringify(serverInfo) ?? 'is missing'} lacks a name or version`);
  return { ...info, name: typeof info.name === 'string' ? info.name : 'unknown', version: typeof info.version === 'string' ? info.version : 'unknown' };
}

/**
 * An initialize result the SDK's Client.connect accepts, made from what the server sent: a protocol
 * version the SDK does not know (it would disconnect) is taken as the one the bot asked for, a
 * serverInfo without name or version gets "unknown", capabilities that are not objects are read as
 * present or absent. Each repair is added to `problems`.
 */
function repairInitializeResult(result: Fields, requestedVersion: string, problems: string[]): Fields {
  const repaired: Fields = { ...result };
  const version = result.protocolVersion;
  if (typeof version !== 'string' || !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
    problems.push(`protocol version ${JSON.stringify(version) ?? '(none)'} is not one this client knows; going on with ${requestedVersion}`);
    repaired.protocolVersion = requestedVersion;
  }
  repaired.capabilities = repairCapabilities(result.capabilities, problems);
  repaired.serverInfo = repairServerInfo(result.serverInfo, problems);
  if (repaired.instructions !== undefined && typeof repaired.instructions !== 'string') {
    problems.push('instructions is not a string');
    delete repaired.instructions;
  }
  return repaired;
}

/**
 * Watches one connection's messages for the `initialize` exchange (2025 revisions only: 2026-07-28
 * has none) and hands the SDK the server's answer repaired (repairInitializeResult); every other
 * message passes untouched. `report` gets the repairs. The SDK validates that answer inside
 * Client.connect, where no option reaches it, hence this seam.
 */
export class HandshakeRepair {
  private initialize: { id: RequestId; version: string } | undefined;

  constructor(private readonly report: (problems: string[]) => void) {}

  /** A message the client sends: remembers the `initialize` request's id and offered version. */
  sent(message: JSONRPCMessage): void {
    if (!isJSONRPCRequest(message) || message.method !== 'initialize') return;
    const version = message.params?.protocolVersion;
    this.initialize = { id: message.id, version: typeof version === 'string' ? version : LATEST_PROTOCOL_VERSION };
  }

  /** A message the server sent, repaired if it answers `initialize`. */
  received<T extends JSONRPCMessage>(message: T): T {
    const initialize = this.initialize;
    if (!initialize || !isJSONRPCResultResponse(message) || String(message.id) !== String(initialize.id)) return message;
    this.initialize = undefined;
    const problems: string[] = [];
    const result = repairInitializeResult(message.result, initialize.version, problems);
    if (problems.length === 0) return message;
    this.report(problems);
    return { ...message, result };
  }
}

/**
 * Wraps a remote transport so the `initialize` exchange goes through a HandshakeRepair. The SDK
 * probes the era on the wrapper itself (`server/discover` on the same connection), which is what it
 * does for any HTTP transport anyway.
 */
export class LenientHandshake implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  setProtocolVersion?: (version: string) => void;
  setSupportedProtocolVersions?: (versions: string[]) => void;
  private readonly repair: HandshakeRepair;

  constructor(
    readonly inner: Transport,
    report: (problems: string[]) => void,
  ) {
    this.repair = new HandshakeRepair(report);
    inner.onclose = () => this.onclose?.();
    inner.onerror = (error) => this.onerror?.(error);
    inner.onmessage = (message, extra) => this.onmessage?.(this.repair.received(message), extra);
    if (inner.setProtocolVersion) this.setProtocolVersion = (version) => inner.setProtocolVersion?.(version);
    if (inner.setSupportedProtocolVersions) this.setSupportedProtocolVersions = (versions) => inner.setSupportedProtocolVersions?.(versions);
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  /** On 2026-07-28 Streamable HTTP, cancelling a request closes its own stream: the SDK asks the transport whether it can. */
  get hasPerRequestStream(): boolean | undefined {
    return this.inner.hasPerRequestStream;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    this.repair.sent(message);
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

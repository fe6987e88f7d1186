export { ConnectStates, CONNECT_LINK_TTL_MS, type ConnectState } from './connect-states.js';
export { PersonalServers, type PersonalServersOptions } from './personal-servers.js';

export { serveRoutes, type HttpRoute } from './routes.js';

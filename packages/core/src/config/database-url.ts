import { CovetError, redactSecrets } from '../errors/covet-error.js';
import type { DatabaseConfig } from '../dialect/dialect.js';

const ENGINE_BY_SCHEME: Readonly<Record<string, string>> = {
  postgres: 'postgres',
  postgresql: 'postgres',
  mysql: 'mysql',
  mariadb: 'mysql',
  sqlite: 'sqlite',
  sqlite3: 'sqlite',
  file: 'sqlite',
};

/**
 * Parses a database URL into settings: `postgres://user:pass@host:5432/db?sslmode=require`,
 * `mysql://root@127.0.0.1/app`, `sqlite:./app.db`, `sqlite:///abs/app.db`, `sqlite::memory:`.
 * Query parameters become `options`. Errors never contain the password.
 */
export function parseDatabaseUrl(url: string, where = 'DATABASE_URL'): DatabaseConfig {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  const engine = scheme === undefined ? undefined : ENGINE_BY_SCHEME[scheme] ?? scheme;
  if (engine === undefined) {
    throw new CovetError('CONFIG_INVALID', `Database URL has no scheme (${where})`, {
      hint: 'Start it with postgres://, mysql:// or sqlite:',
    });
  }
  if (engine === 'sqlite') {
    let rest = url.slice(scheme!.length + 1);
    if (rest.startsWith('//')) rest = rest.slice(2);
    const [path, query] = rest.split('?', 2) as [string, string | undefined];
    const name = decodeURIComponent(path) || ':memory:';
    return query ? { engine, url, name, options: Object.fromEntries(new URLSearchParams(query)) } : { engine, url, name };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The URL itself stays out of the message: a malformed one may not redact cleanly.
    throw new CovetError('CONFIG_INVALID', `Malformed database URL (${where})`, {
      hint: 'Expected scheme://user:password@host:port/database; percent-encode special characters.',
    });
  }
  const port = parsed.port ? Number(parsed.port) : undefined;
  const name = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  const options = Object.fromEntries(parsed.searchParams);
  const config: Record<string, unknown> = { engine, url };
  if (parsed.hostname) config.host = decodeURIComponent(parsed.hostname.replace(/^\[|\]$/g, ''));
  if (port !== undefined) config.port = port;
  if (parsed.username) config.user = decodeURIComponent(parsed.username);
  if (parsed.password) config.password = decodeURIComponent(parsed.password);
  if (name) config.name = name;
  if (Object.keys(options).length > 0) config.options = options;
  return config as unknown as DatabaseConfig;
}

/** The URL with its password replaced by `***`, for messages. */
export function redactUrl(url: string): string {
  return redactSecrets(url);
}

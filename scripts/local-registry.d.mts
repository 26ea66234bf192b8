// Types of scripts/local-registry.mjs, for the tests that import it.
export interface LocalRegistry {
  url: string;
  port: number;
  publish(tarball: string, tag?: string): void;
  close(): Promise<void>;
}
export function startRegistry(storage: string): Promise<LocalRegistry>;
export function cleanEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;

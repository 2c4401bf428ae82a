// Types for the two internal modules of firebase-tools 15.34.2 that emulator.ts uses (the package ships none).
declare module 'firebase-tools/lib/emulator/storage/index.js' {
  export interface StorageEmulatorArgs {
    projectId: string;
    host?: string;
    port?: number;
    rules: unknown;
    auto_download?: boolean;
  }
  export class StorageEmulator {
    constructor(args: StorageEmulatorArgs);
    start(): Promise<void>;
    stop(): Promise<void>;
    reset(): void;
    getName(): string;
    getInfo(): { name: string; host: string; port: number };
    getPersistenceTmpDir(): string;
    replaceRules(rules: unknown): Promise<unknown>;
  }
}

declare module 'firebase-tools/lib/emulator/registry.js' {
  export const EmulatorRegistry: {
    start(instance: unknown): Promise<void>;
    stop(name: string): Promise<void>;
    isRunning(name: string): boolean;
  };
}

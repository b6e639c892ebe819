/** Types shared by the engine's modules (kept apart so that no module imports the engine for them). */
export type Hex = `0x${string}`;
export type Bytes = Uint8Array;

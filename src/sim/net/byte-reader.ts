import type { Socket } from 'node:net';

export class ReaderClosedError extends Error {
  constructor() {
    super('connection closed before the expected bytes arrived');
  }
}

/** Reads exact byte counts from a socket during a handshake, then hands back whatever was read ahead. */
export class ByteReader {
  #chunks: Buffer[] = [];
  #buffered = 0;
  #closed = false;
  #waiting: (() => void) | undefined;
  readonly #socket: Socket;
  readonly #onData = (chunk: Buffer) => {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    this.#wake();
  };
  readonly #onEnd = () => {
    this.#closed = true;
    this.#wake();
  };

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onEnd);
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.();
  }

  async read(count: number): Promise<Buffer> {
    while (this.#buffered < count) {
      if (this.#closed) throw new ReaderClosedError();
      await new Promise<void>((resolve) => (this.#waiting = resolve));
    }
    const all = Buffer.concat(this.#chunks);
    this.#chunks = [all.subarray(count)];
    this.#buffered = all.length - count;
    return all.subarray(0, count);
  }

  /** Stops listening and returns the bytes read ahead of the handshake (the start of the relayed stream). */
  detach(): Buffer {
    this.#socket.off('data', this.#onData);
    this.#socket.off('end', this.#onEnd);
    this.#socket.off('close', this.#onEnd);
    const rest = Buffer.concat(this.#chunks);
    this.#chunks = [];
    this.#buffered = 0;
    return rest;
  }
}

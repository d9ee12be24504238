/**
 * A value made on its first use and kept from then on. A failed attempt is forgotten, so the
 * next use tries again; uses while an attempt runs share it. The MCP server makes its Temporal
 * connection this way: it serves `tools/list` from its start, and a call made before Temporal
 * answers fails alone, without taking the server down.
 */
export class OnDemand<T> {
  private made: T | undefined;
  private attempt: Promise<T> | undefined;

  constructor(private readonly make: () => Promise<T>) {}

  get(): Promise<T> {
    if (this.made !== undefined) return Promise.resolve(this.made);
    this.attempt ??= this.make().then(
      (value) => {
        this.made = value;
        return value;
      },
      (error: unknown) => {
        this.attempt = undefined;
        throw error;
      },
    );
    return this.attempt;
  }

  /** The value, if it has been made. */
  current(): T | undefined {
    return this.made;
  }
}

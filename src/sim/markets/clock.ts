import type { SimDay } from '../world/index.ts';

/** The "current sim day" every market renders; shared by all servers of one sim so they move together. */
export class SimClock {
  #day: SimDay;
  readonly #minDay: SimDay;
  readonly #maxDay: SimDay;

  constructor(day: SimDay, bounds: { min: SimDay; max: SimDay }) {
    this.#minDay = bounds.min;
    this.#maxDay = bounds.max;
    this.#day = this.#check(day);
  }

  get day(): SimDay {
    return this.#day;
  }

  get maxDay(): SimDay {
    return this.#maxDay;
  }

  /** Moves the clock by `days` (may be negative) and returns the new day. */
  advance(days: number): SimDay {
    if (!Number.isInteger(days)) throw new Error(`days must be an integer, got ${days}`);
    return this.set(this.#day + days);
  }

  set(day: SimDay): SimDay {
    this.#day = this.#check(day);
    return this.#day;
  }

  #check(day: number): SimDay {
    if (!Number.isInteger(day)) throw new Error(`sim day must be an integer, got ${day}`);
    if (day < this.#minDay || day > this.#maxDay) {
      throw new Error(`sim day ${day} is outside the simulated period ${this.#minDay}..${this.#maxDay}`);
    }
    return day;
  }
}

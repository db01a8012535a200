// Runs the rehearsal's phases one by one, printing how long each took and whether it passed.

export class Phases {
  private readonly started = Date.now();
  readonly timings: [string, number][] = [];
  async run<T>(name: string, work: () => Promise<T> | T): Promise<T> {
    const start = Date.now();
    try {
      const result = await work();
      this.report(name, start, 'ok');
      return result;
    } catch (error) {
      this.report(name, start, 'FAILED');
      throw error;
    }
  }
  private report(name: string, start: number, outcome: string): void {
    const seconds = (Date.now() - start) / 1000;
    this.timings.push([name, seconds]);
    console.log(`rehearsal: ${name.padEnd(44)} ${seconds.toFixed(1).padStart(6)} s  ${outcome}`);
  }
  total(): number {
    return (Date.now() - this.started) / 1000;
  }
}


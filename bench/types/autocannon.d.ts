// The part of autocannon's API the benchmarks use (it ships no types).
declare module "autocannon" {
  interface Histogram {
    average: number;
    p50: number;
    p99: number;
    /** Requests completed (the `requests` histogram only). */
    total: number;
  }
  interface Result {
    requests: Histogram;
    latency: Histogram;
    non2xx: number;
    errors: number;
  }
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    requests?: Array<Record<string, unknown>>;
  }
  export default function autocannon(options: Options): Promise<Result>;
}

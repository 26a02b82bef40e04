/** RFC 9457 problem details, the body of every error Warden's HTTP API returns. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  /** Stable machine-readable code, the same as the domain error's. */
  code: string;
  instance?: string;
  /** Field-level reasons, for validation problems: which path, what was expected. */
  errors?: { path: string; message: string }[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problem(status: number, code: string, title: string, extra: Partial<ProblemDetails> = {}): ProblemDetails {
  return { type: `urn:warden:problem:${code.toLowerCase()}`, title, status, code, ...extra };
}

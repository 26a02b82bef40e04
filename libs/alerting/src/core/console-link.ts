/** The console page of one detection. */
export function consoleDetectionLink(consoleUrl: string, detectionId: string): string {
  return `${consoleUrl.replace(/\/+$/, '')}/detections/${encodeURIComponent(detectionId)}`;
}

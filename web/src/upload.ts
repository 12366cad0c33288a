import { ApiFailure, csrf } from './api.ts';

/** What the server answers to an import upload: the file name (in the workers' import directory) a job takes. */
export interface Uploaded {
  file: string;
  kind: string;
  bytes: number;
  sha256: string;
  name: string | null;
}

export type UploadKind = 'telegram' | 'dump' | 'csv' | 'warc' | 'pages' | 'csv-mapping';

/**
 * Sends a file to POST /api/imports/uploads as its raw bytes, with upload progress (fetch reports none, so this
 * is the one call made with XMLHttpRequest; same origin, session cookie, CSRF token as every write).
 */
export function uploadImportFile(kind: UploadKind, file: File, onProgress: (sent: number, total: number) => void): Promise<Uploaded> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/imports/uploads?kind=${encodeURIComponent(kind)}&name=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    const t = csrf.get();
    if (t) xhr.setRequestHeader('x-csrf-token', t);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new ApiFailure(0, 'network', `the upload of ${file.name} failed (connection lost)`));
    xhr.onload = () => {
      csrf.set(xhr.getResponseHeader('x-csrf-token'));
      let body: { error?: string; message?: string } & Partial<Uploaded> = {};
      try {
        body = xhr.responseText ? (JSON.parse(xhr.responseText) as typeof body) : {};
      } catch {
        /* a non-JSON answer (a proxy's error page): the status says enough */
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as Uploaded);
      else reject(new ApiFailure(xhr.status, body.error ?? 'error', `${file.name}: ${body.message ?? xhr.statusText}`));
    };
    xhr.send(file);
  });
}

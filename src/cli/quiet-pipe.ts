/**
 * A reader that went away (`toolgate audit export | head -1`, a pager closed early) makes the next
 * write fail with EPIPE, which Node raises as an uncaught 'error' event: a stack trace for
 * something that is not a fault. `onClosedPipe` turns it into `closed()` (main.ts exits quietly,
 * with 0 as the pipeline got what it asked for; the gateway keeps serving). Any other write error
 * is still raised.
 */
export function onClosedPipe(stream: NodeJS.WritableStream, closed: () => void): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    // After the first EPIPE the stream is destroyed; later writes fail with ERR_STREAM_DESTROYED.
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') closed();
    else throw err;
  });
}

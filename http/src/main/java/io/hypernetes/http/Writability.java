package io.hypernetes.http;

import io.netty.channel.Channel;

/**
 * Back-pressure for a handler thread writing a stream (a chunked response, an upgraded connection): after a write, wait while the connection's
 * outbound buffer is above its high-water mark (the peer reads slower than we write), so a slow reader slows the
 * writer instead of growing the heap; a peer that reads nothing for a minute is cut off.
 */
final class Writability {
    private static final long STALLED_PEER_MILLIS = 60_000;
    private static final long POLL_MILLIS = 5;

    private Writability() {}

    static void await(Channel channel) throws InterruptedException {
        long waited = 0;
        while (channel.isActive() && !channel.isWritable()) {
            if (waited >= STALLED_PEER_MILLIS) {
                channel.close();
                return;
            }
            Thread.sleep(POLL_MILLIS);
            waited += POLL_MILLIS;
        }
    }
}

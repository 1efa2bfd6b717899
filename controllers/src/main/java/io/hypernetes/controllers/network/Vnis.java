package io.hypernetes.controllers.network;

import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * Which VNI each live Network holds, by the Network's uid: a Network deleted and created again under its name is
 * another Network and gets a VNI of its own once the first one's is given back.
 *
 * <p>The table lives in memory and is rebuilt from the Networks' {@code status.vni} when the controller starts
 * ({@link #keep}, oldest Network first), so a VNI written once is never handed to a second Network, across restarts
 * too. A Network whose written VNI another Network already holds (two controllers once ran at the same time, or
 * someone wrote the status by hand) is given a new one by {@link #claim}.
 */
final class Vnis {
    static final int MIN = 1;
    /** VXLAN's VNI is 24 bits. */
    static final int MAX = (1 << 24) - 1;

    private final BitSet used = new BitSet();
    private final Map<String, Integer> byUid = new HashMap<>();

    static boolean valid(int vni) {
        return vni >= MIN && vni <= MAX;
    }

    /** Records that {@code uid} holds {@code vni}, as its status says, unless the VNI is invalid or already held. */
    synchronized boolean keep(String uid, int vni) {
        if (byUid.containsKey(uid)) return byUid.get(uid) == vni;
        if (!valid(vni) || used.get(vni)) return false;
        used.set(vni);
        byUid.put(uid, vni);
        return true;
    }

    /**
     * The VNI of {@code uid}: the one it holds, else the one its status names when that is free, else the lowest
     * free one.
     *
     * @throws IllegalStateException when all 16,777,215 are held
     */
    synchronized int claim(String uid, int written) {
        Integer held = byUid.get(uid);
        if (held != null) return held;
        if (keep(uid, written)) return written;
        int free = used.nextClearBit(MIN);
        if (free > MAX) throw new IllegalStateException("every VNI (" + MIN + ".." + MAX + ") is held by a Network");
        used.set(free);
        byUid.put(uid, free);
        return free;
    }

    /** Gives back what {@code uid} held (its Network is gone). */
    synchronized void release(String uid) {
        Integer vni = byUid.remove(uid);
        if (vni != null) used.clear(vni);
    }

    synchronized int size() {
        return byUid.size();
    }
}

package io.hypernetes.guest;

/**
 * The numbers of the hyperstart wire protocol, as {@code guest/PROTOCOL.md} defines them
 * and {@code hyperstart/hyperstart.h} repeats them. Change all three together.
 */
final class Protocol {
    private Protocol() {}

    /** virtio_console moves at most 32 KiB per write(): one frame, header included. */
    static final int FRAME_MAX = 32768;
    static final int HEADER_LEN = 9;
    static final int PAYLOAD_MAX = FRAME_MAX - HEADER_LEN;
    static final int STREAM_WINDOW = 256 * 1024;

    /** First byte 0xFF: as a frame length it is impossible, so a SYNC is recognisable mid-stream. */
    static final byte[] SYNC_MAGIC = {(byte) 0xFF, 'H', 'Y', 'P', 'S', 'Y', 'N', 'C'};
    static final byte[] ACK_MAGIC = {(byte) 0xFF, 'H', 'Y', 'P', 'A', 'C', 'K', '!'};
    static final int SYNC_LEN = 16;

    // requests (host → guest), answered by OK or ERROR with the same id
    static final int PING = 0x01, START_POD = 0x02, WRITE_FILE = 0x03, NEW_CONTAINER = 0x04,
            REMOVE_CONTAINER = 0x05, START_PROCESS = 0x06, SIGNAL = 0x07, WINSIZE = 0x08,
            CLOSE_STDIN = 0x09, STATE = 0x0A, DESTROY_POD = 0x0B, ATTACH = 0x0C;
    // streams, id = process id
    static final int STDIN = 0x20, STDOUT = 0x21, STDERR = 0x22, WINDOW = 0x23;
    // replies and events (guest → host)
    static final int OK = 0x40, ERROR = 0x41, READY = 0x50, PROCESS_EXIT = 0x51;

    // TLV tags
    static final int TAG_VERSION = 1, TAG_BOOT_MS = 2, TAG_MESSAGE = 3, TAG_CODE = 4, TAG_CLOCK = 5,
            TAG_HOSTNAME = 10, TAG_DNS_SERVER = 11, TAG_DNS_SEARCH = 12, TAG_DNS_OPTION = 13,
            TAG_HOSTS = 14, TAG_IP = 15, TAG_PREFIX = 16, TAG_GATEWAY = 17, TAG_MTU = 18, TAG_INTERFACE = 19,
            TAG_VOLUME = 20, TAG_PATH = 21, TAG_MODE = 22, TAG_FILE_TYPE = 23, TAG_DATA = 24, TAG_OFFSET = 25,
            TAG_CONTAINER = 30, TAG_ROOTFS_TARGET = 31, TAG_FSTYPE = 32, TAG_MOUNT = 33,
            TAG_SOURCE_VOLUME = 34, TAG_SOURCE_TARGET = 35, TAG_DEST = 36, TAG_READONLY = 37,
            TAG_PROCESS = 40, TAG_INIT = 41, TAG_ARG = 42, TAG_ENV = 43, TAG_WORKDIR = 44, TAG_USER = 45,
            TAG_TTY = 46, TAG_STDIN = 47, TAG_COLUMNS = 48, TAG_ROWS = 49, TAG_SIGNAL = 50, TAG_PID = 51,
            TAG_STATUS = 52, TAG_EXIT_CODE = 53, TAG_STREAM = 54, TAG_BYTES = 55, TAG_STDIN_WINDOW = 56,
            TAG_PROCESS_STATE = 60, TAG_CONTAINER_STATE = 61;

    static String typeName(int type) {
        return switch (type) {
            case PING -> "PING"; case START_POD -> "START_POD"; case WRITE_FILE -> "WRITE_FILE";
            case NEW_CONTAINER -> "NEW_CONTAINER"; case REMOVE_CONTAINER -> "REMOVE_CONTAINER";
            case START_PROCESS -> "START_PROCESS"; case SIGNAL -> "SIGNAL"; case WINSIZE -> "WINSIZE";
            case CLOSE_STDIN -> "CLOSE_STDIN"; case STATE -> "STATE"; case DESTROY_POD -> "DESTROY_POD";
            case ATTACH -> "ATTACH"; case STDIN -> "STDIN"; case STDOUT -> "STDOUT"; case STDERR -> "STDERR";
            case WINDOW -> "WINDOW"; case OK -> "OK"; case ERROR -> "ERROR"; case READY -> "READY";
            case PROCESS_EXIT -> "PROCESS_EXIT";
            default -> String.format("0x%02x", type);
        };
    }
}

package io.hypernetes.guest;

/** The kinds of entry WRITE_FILE creates in a pod volume. */
public enum FileType {
    FILE, DIRECTORY, SYMLINK
}

package io.hypernetes.guest;

/** What READY says: hyperstart's version and the guest's uptime when it was ready to serve. */
public record GuestInfo(String version, long bootMillis) {}

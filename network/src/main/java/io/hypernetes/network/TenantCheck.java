package io.hypernetes.network;

/** A provider's answer to "may this tenant have networks": {@code reason} says why not. */
public record TenantCheck(boolean ok, String reason) {
    public static TenantCheck accepted() {
        return new TenantCheck(true, "");
    }

    public static TenantCheck refused(String reason) {
        return new TenantCheck(false, reason);
    }
}

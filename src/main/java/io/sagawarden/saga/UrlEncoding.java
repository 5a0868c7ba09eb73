package io.sagawarden.saga;

import java.nio.charset.StandardCharsets;

/** Percent-encoding as RFC 3986 and RFC 6570 simple expansion define it. Plain Java. */
public final class UrlEncoding {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private UrlEncoding() {
    }

    /** Every byte of the UTF-8 form but the unreserved characters ({@code A-Z a-z 0-9 - . _ ~}) as {@code %XX}. */
    public static String unreserved(String value) {
        StringBuilder out = new StringBuilder(value.length() + 8);
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xFF;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xF]);
            }
        }
        return out.toString();
    }
}

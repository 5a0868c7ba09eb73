package io.sagawarden.participant;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Optional;

/**
 * A URL path as the most eager server would read it: percent-decoded and Unicode-normalized (NFKC, so a fullwidth
 * {@code ．．} is {@code ..}) until nothing changes. Empty when any reading of it could leave the segment it
 * seems to be in: a dot segment, a {@code ;} (Tomcat's path parameters, {@code ..;}), a backslash (IIS), a control
 * character, bytes that are not UTF-8 (the overlong {@code %C0%AE}), or encodings nested deeper than servers go.
 * Plain Java.
 */
public final class DecodedPath {

    /** Deeper nesting than this is refused rather than followed. */
    private static final int MAX_DECODINGS = 4;

    private DecodedPath() {
    }

    public static Optional<String> of(String rawPath) {
        String path = rawPath == null || rawPath.isEmpty() ? "/" : rawPath;
        try {
            for (int round = 0; ; round++) {
                // Decoding and normalizing alternate: a fullwidth ％２ｅ is a %2e once normalized.
                String decoded = Normalizer.normalize(decodeOnce(path), Normalizer.Form.NFKC);
                if (decoded.equals(path)) {
                    break;
                }
                if (round == MAX_DECODINGS) {
                    return Optional.empty();
                }
                path = decoded;
            }
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
        for (String segment : path.split("/", -1)) {
            if (segment.equals(".") || segment.equals("..") || segment.indexOf(';') >= 0 || segment.indexOf('\\') >= 0
                    || segment.chars().anyMatch(c -> Character.isISOControl(c) || c == '\uFFFD')) {
                return Optional.empty();
            }
        }
        return Optional.of(path);
    }

    private static String decodeOnce(String text) throws CharacterCodingException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%' && i + 2 < text.length() && hex(text.charAt(i + 1)) >= 0 && hex(text.charAt(i + 2)) >= 0) {
                bytes.write(hex(text.charAt(i + 1)) * 16 + hex(text.charAt(i + 2)));
                i += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length()) {
                bytes.writeBytes(text.substring(i, i + 2).getBytes(StandardCharsets.UTF_8));
                i++;
            } else {
                bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }
}

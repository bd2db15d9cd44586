package org.alignstream.common.serde;

import java.util.IdentityHashMap;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * Walks an Avro binary body along its writer schema, without building anything, and reports the first length or count
 * that cannot be true for the bytes at hand: a string, bytes or array block longer than what is left, a negative length,
 * a union or enum index out of range, a number encoding that is too long, nesting deeper than {@link #MAX_DEPTH}.
 *
 * <p>Why: Avro's decoder trusts the lengths it reads and allocates them before it reads the data, so a body of 40
 * random bytes that happens to start with the length 2^30 makes it allocate 1 GB (an {@link OutOfMemoryError}, which
 * no stage catches, on a small heap; a long GC pause on a large one). After this walk every length is known to be
 * backed by bytes, so decoding allocates at most in proportion to the record's size. Trailing bytes are left to the
 * decoder to report. Not thread-safe; one instance per body.
 */
final class AvroBodyCheck {

    /** Deepest nesting of records, unions and collections walked (recursive schemas). */
    static final int MAX_DEPTH = 200;
    /** Most items of zero encoded size (e.g. nulls) accepted in one body: they are not backed by bytes. */
    static final long MAX_EMPTY_ITEMS = 1 << 20;

    private static final Map<Schema, Integer> MIN_SIZES = new java.util.concurrent.ConcurrentHashMap<>();

    private final byte[] bytes;
    private int pos;
    private long emptyItems;

    private AvroBodyCheck(byte[] bytes, int offset) {
        this.bytes = bytes;
        this.pos = offset;
    }

    /** The first problem of the body of {@code bytes} from {@code offset} read as {@code writer}, or null if none. */
    static String problem(Schema writer, byte[] bytes, int offset) {
        AvroBodyCheck check = new AvroBodyCheck(bytes, offset);
        try {
            check.walk(writer, 0);
            return null;
        } catch (Malformed e) {
            return e.getMessage();
        }
    }

    private static final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    private int left() {
        return bytes.length - pos;
    }

    private void need(long n, String what) throws Malformed {
        if (n > left()) {
            throw new Malformed(what + " at byte " + pos + " needs " + n + " bytes but only " + left() + " are left");
        }
    }

    private void walk(Schema s, int depth) throws Malformed {
        if (depth > MAX_DEPTH) {
            throw new Malformed("nested deeper than " + MAX_DEPTH + " levels at byte " + pos);
        }
        switch (s.getType()) {
            case NULL -> {
            }
            case BOOLEAN -> {
                need(1, "a boolean");
                int b = bytes[pos];
                if (b != 0 && b != 1) {
                    throw new Malformed("invalid boolean byte " + b + " at byte " + pos);
                }
                pos++;
            }
            case INT -> varint(5, "an int");
            case LONG -> varint(10, "a long");
            case FLOAT -> skip(4, "a float");
            case DOUBLE -> skip(8, "a double");
            case FIXED -> skip(s.getFixedSize(), "a fixed(" + s.getFixedSize() + ")");
            case STRING -> lengthPrefixed("a string");
            case BYTES -> lengthPrefixed("a bytes value");
            case ENUM -> index(s.getEnumSymbols().size(), "an enum symbol");
            case UNION -> walk(s.getTypes().get(index(s.getTypes().size(), "a union branch")), depth + 1);
            case RECORD -> {
                for (Schema.Field f : s.getFields()) {
                    walk(f.schema(), depth + 1);
                }
            }
            case ARRAY -> blocks(s.getElementType(), false, depth);
            case MAP -> blocks(s.getValueType(), true, depth);
            default -> throw new Malformed("unsupported schema type " + s.getType());
        }
    }

    /** Array or map blocks: a count (negative: followed by the block's byte size), the items, ..., a zero count. */
    private void blocks(Schema item, boolean map, int depth) throws Malformed {
        long itemMin = minSize(item) + (map ? 1 : 0);
        while (true) {
            int at = pos;
            long count = varint(10, "a block count");
            if (count == 0) {
                return;
            }
            if (count < 0) {
                if (count == Long.MIN_VALUE) {
                    throw new Malformed("block count at byte " + at + " is out of range");
                }
                count = -count;
                long size = varint(10, "a block size");
                if (size < 0 || size > left()) {
                    throw new Malformed("block at byte " + at + " claims " + size + " bytes but " + left() + " are left");
                }
            }
            if (itemMin > 0 ? count > left() / itemMin : (emptyItems += count) > MAX_EMPTY_ITEMS) {
                throw new Malformed("a block of " + count + " items at byte " + at + " cannot fit in the " + left()
                        + " bytes left");
            }
            for (long i = 0; i < count; i++) {
                if (map) {
                    lengthPrefixed("a map key");
                }
                walk(item, depth + 1);
            }
        }
    }

    private void lengthPrefixed(String what) throws Malformed {
        int at = pos;
        long length = varint(10, "the length of " + what);
        if (length < 0) {
            throw new Malformed(what + " at byte " + at + " has a negative length " + length);
        }
        if (length > left()) {
            throw new Malformed(what + " at byte " + at + " claims " + length + " bytes but only " + left()
                    + " are left");
        }
        pos += (int) length;
    }

    private int index(int size, String what) throws Malformed {
        int at = pos;
        long i = varint(5, what);
        if (i < 0 || i >= size) {
            throw new Malformed(what + " index " + i + " at byte " + at + " is outside [0, " + size + ")");
        }
        return (int) i;
    }

    private void skip(int n, String what) throws Malformed {
        need(n, what);
        pos += n;
    }

    /** A zig-zag varint of at most {@code maxBytes} bytes, decoded. */
    private long varint(int maxBytes, String what) throws Malformed {
        int at = pos;
        long raw = 0;
        for (int i = 0; i < maxBytes; i++) {
            if (pos >= bytes.length) {
                throw new Malformed(what + " at byte " + at + " is cut off by the end of the data");
            }
            int b = bytes[pos++] & 0xFF;
            raw |= (long) (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw new Malformed(what + " at byte " + at + " is encoded in more than " + maxBytes + " bytes");
    }

    /** The fewest bytes a value of {@code s} takes (0 for null, 1 for a string or an array, ...). */
    static int minSize(Schema s) {
        Integer known = MIN_SIZES.get(s);
        if (known != null) {
            return known;
        }
        int size = minSize(s, new IdentityHashMap<>());
        MIN_SIZES.put(s, size);
        return size;
    }

    private static int minSize(Schema s, Map<Schema, Boolean> visiting) {
        return switch (s.getType()) {
            case NULL -> 0;
            case BOOLEAN, INT, LONG, STRING, BYTES, ENUM, ARRAY, MAP -> 1;
            case FLOAT -> 4;
            case DOUBLE -> 8;
            case FIXED -> s.getFixedSize();
            case UNION -> {
                int min = Integer.MAX_VALUE;
                for (Schema branch : s.getTypes()) {
                    min = Math.min(min, minSize(branch, visiting));
                }
                yield 1 + (min == Integer.MAX_VALUE ? 0 : min);
            }
            case RECORD -> {
                if (visiting.put(s, Boolean.TRUE) != null) {
                    yield 0; // recursive: counted once
                }
                long sum = 0;
                for (Schema.Field f : s.getFields()) {
                    sum += minSize(f.schema(), visiting);
                }
                visiting.remove(s);
                yield (int) Math.min(sum, Integer.MAX_VALUE);
            }
        };
    }
}

package io.sagawarden.saga;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.sagawarden.db.Sql;
import io.sagawarden.execution.ParticipantAllowList;
import io.sagawarden.problem.FieldError;
import io.sagawarden.problem.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Accepts submitted sagas: validates them, stores them PENDING, and de-duplicates by idempotency key. */
@ApplicationScoped
public class SagaSubmissions {

    public static final int MAX_IDEMPOTENCY_KEY_LENGTH = 200;

    /** The stored saga, and whether this request created it (or found it by its idempotency key). */
    public record Submitted(SagaView saga, boolean created) {
    }

    private final Sql sql;
    private final SagaEvents events;
    private final SagaQueries queries;
    private final SagaLimits limits;
    private final SagaRequestReader reader;
    private final SagaRequestValidator validator;
    private final ObjectMapper canonical;
    private final Event<SagaSubmitted> submitted;

    public SagaSubmissions(Sql sql, SagaEvents events, SagaQueries queries, SagaLimits limits, Json json,
                           ParticipantAllowList allowList, Event<SagaSubmitted> submitted) {
        this.sql = sql;
        this.events = events;
        this.queries = queries;
        this.limits = limits;
        this.reader = new SagaRequestReader(json.mapper());
        this.validator = new SagaRequestValidator(limits, allowList::allows);
        this.submitted = submitted;
        // One spelling per request, whatever the key order, so equal requests hash equally.
        this.canonical = json.mapper().copy()
                .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
                .configure(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS, false)
                .configure(JsonNodeFeature.WRITE_PROPERTIES_SORTED, true)
                .setSerializationInclusion(JsonInclude.Include.NON_NULL);
    }

    public Submitted submit(byte[] body, String idempotencyKey, String submitter) {
        if (body != null && body.length > limits.maxBodyBytes()) {
            throw new ProblemException.PayloadTooLarge(
                    "the request body has " + body.length + " bytes; at most " + limits.maxBodyBytes() + " are accepted");
        }
        checkIdempotencyKey(idempotencyKey);
        SagaRequest request = reader.read(body);
        validator.validate(request);
        SagaRequest definition = withDefaults(request);
        String definitionJson = write(definition);
        String hash = sha256(definitionJson);
        String who = submitter == null || submitter.isBlank() ? "anonymous" : submitter;
        UUID id = QuarkusTransaction.joiningExisting().call(() -> store(definition, definitionJson, hash, who,
                idempotencyKey));
        Optional<UUID> created = id == null ? Optional.empty() : Optional.of(id);
        UUID sagaId = created.orElseGet(() -> existing(who, idempotencyKey, hash));
        return new Submitted(queries.view(sagaId), created.isPresent());
    }

    /** Inserts the saga, its steps and its first event; null when the idempotency key was taken already. */
    UUID store(SagaRequest definition, String definitionJson, String hash, String submitter, String key) {
        UUID id = UUID.randomUUID();
        Optional<UUID> inserted = sql.queryOne("""
                INSERT INTO sagas (id, type, status, priority, definition, payload, labels, on_deadlock, timeout_ms,
                                   lock_timeout_ms, submitter, idempotency_key, request_hash, next_run_at,
                                   created_at, updated_at, progress_at)
                VALUES (?, ?, 'PENDING', ?, CAST(? AS jsonb), CAST(? AS jsonb), CAST(? AS jsonb), ?, ?, ?, ?, ?, ?,
                        now(), now(), now(), now())
                ON CONFLICT (submitter, idempotency_key) DO NOTHING
                RETURNING id""", rs -> rs.getObject(1, UUID.class),
                id, definition.type(), definition.priority(), definitionJson, write(definition.payload()),
                write(definition.labels()), definition.onDeadlock(), millis(definition.timeout()),
                millis(definition.lockTimeout()), submitter, key, hash);
        if (inserted.isEmpty()) {
            return null;
        }
        List<SagaRequest.Step> steps = definition.steps();
        sql.batch("INSERT INTO saga_steps (saga_id, idx, name, compensation_status) VALUES (?, ?, ?, ?)",
                java.util.stream.IntStream.range(0, steps.size()).mapToObj(i -> new Object[] {id, i,
                        steps.get(i).name(), steps.get(i).compensation() == null
                        ? CompensationStatus.NOT_NEEDED : CompensationStatus.NOT_STARTED}).toList());
        events.append(id, "SUBMITTED", null, key == null ? Map.of("submitter", submitter)
                : Map.of("submitter", submitter, "idempotencyKey", key));
        submitted.fire(new SagaSubmitted(id, definition.priority()));
        return id;
    }

    private UUID existing(String submitter, String key, String hash) {
        record Found(UUID id, String hash) {
        }
        Found found = sql.queryOne("SELECT id, request_hash FROM sagas WHERE submitter = ? AND idempotency_key = ?",
                        rs -> new Found(rs.getObject(1, UUID.class), rs.getString(2)), submitter, key)
                .orElseThrow(() -> new IllegalStateException("idempotency key " + key + " conflicted but is gone"));
        if (!found.hash().equals(hash)) {
            throw new ProblemException.Conflict("Idempotency-Key '" + key + "' was used for saga " + found.id()
                    + " with a different request body");
        }
        return found.id();
    }

    private static void checkIdempotencyKey(String key) {
        if (key == null) {
            return;
        }
        String problem = key.isBlank() ? "must not be blank"
                : key.length() > MAX_IDEMPOTENCY_KEY_LENGTH ? "must be at most " + MAX_IDEMPOTENCY_KEY_LENGTH + " characters"
                : null;
        if (problem != null) {
            throw new ProblemException.BadRequest("Idempotency-Key " + problem,
                    List.of(new FieldError("Idempotency-Key", problem)));
        }
    }

    private static SagaRequest withDefaults(SagaRequest r) {
        List<SagaRequest.Step> steps = r.steps().stream()
                .map(s -> new SagaRequest.Step(s.name(), s.locks() == null ? List.of() : s.locks(), s.action(),
                        s.compensation(), s.retry()))
                .toList();
        return new SagaRequest(r.type(), r.priority() == null ? 0 : r.priority(), r.timeout(), r.lockTimeout(),
                r.labels() == null ? Map.of() : r.labels(), r.payload() == null ? NullNode.instance : r.payload(),
                r.onDeadlock() == null ? OnDeadlock.COMPENSATE : r.onDeadlock(), steps);
    }

    private static Long millis(java.time.Duration d) {
        return d == null ? null : d.toMillis();
    }

    private String write(Object value) {
        try {
            return canonical.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

package io.sagawarden.saga;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.node.NullNode;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.sagawarden.db.Json;
import io.sagawarden.participant.ParticipantAllowList;
import io.sagawarden.participant.ParticipantSecrets;
import io.sagawarden.participant.ThisService;
import io.sagawarden.problem.ProblemException;
import io.sagawarden.problem.QueryParams;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.IntStream;

/** Accepts submitted sagas: validates them, stores them PENDING, and de-duplicates by idempotency key. */
@ApplicationScoped
public class SagaSubmissions {

    public static final int MAX_HEADER_LENGTH = 200;

    /** The stored saga, and whether this request created it (or found it by its idempotency key). */
    public record Submitted(SagaView saga, boolean created) {
    }

    private final SagaStore sagas;
    private final Json json;
    private final SagaQueries queries;
    private final SagaLimits limits;
    private final SagaRequestReader reader;
    private final SagaRequestValidator validator;
    private final ObjectMapper canonical;
    private final Event<SagaSubmitted> submitted;

    public SagaSubmissions(SagaStore sagas, SagaQueries queries, SagaLimits limits, Json json,
                           ParticipantAllowList allowList, ParticipantSecrets secrets, ThisService thisService,
                           Event<SagaSubmitted> submitted) {
        this.sagas = sagas;
        this.json = json;
        this.queries = queries;
        this.limits = limits;
        this.reader = new SagaRequestReader(json.mapper());
        this.validator = new SagaRequestValidator(limits, allowList::allows, secrets::exists,
                thisService::isReachedBy);
        this.submitted = submitted;
        // One spelling per request, whatever the key order, so equal requests hash equally.
        this.canonical = json.mapper().copy()
                .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
                .configure(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS, false)
                .configure(JsonNodeFeature.WRITE_PROPERTIES_SORTED, true)
                .setSerializationInclusion(JsonInclude.Include.NON_NULL);
    }

    /** {@code trace}: the trace the submission named, or null for a trace of the saga's own. */
    public Submitted submit(byte[] body, String idempotencyKey, String submitter, TraceParent trace) {
        if (body != null && body.length > limits.maxBodyBytes()) {
            throw new ProblemException.PayloadTooLarge(
                    "the request body has " + body.length + " bytes; at most " + limits.maxBodyBytes() + " are accepted");
        }
        QueryParams.text("Idempotency-Key", idempotencyKey, MAX_HEADER_LENGTH);
        SagaRequest request = reader.read(body);
        validator.validate(request);
        SagaRequest definition = withDefaults(request);
        String definitionJson = write(definition);
        String hash = sha256(definitionJson);
        Optional<SagaView> created = QuarkusTransaction.joiningExisting().call(() -> store(definition, definitionJson,
                hash, submitter, idempotencyKey, trace));
        return created.map(view -> new Submitted(view, true)).orElseGet(() -> new Submitted(
                queries.view(existing(submitter, idempotencyKey, hash), SagaScope.ownedBy(submitter)), false));
    }

    /**
     * Stores the saga, its steps and its first event and answers with the saga as stored; empty when the
     * idempotency key was taken already.
     */
    private Optional<SagaView> store(SagaRequest definition, String definitionJson, String hash, String submitter,
                                     String key, TraceParent trace) {
        UUID id = UUID.randomUUID();
        Optional<Instant> created = insert(id, definition, definitionJson, hash, trace,
                new SagaEvent.Submitted(submitter, key));
        return created.map(at -> pendingView(id, submitter, definition, at, trace));
    }

    private Optional<Instant> insert(UUID id, SagaRequest definition, String definitionJson, String hash,
                                     TraceParent trace, SagaEvent.Submitted event) {
        Optional<Instant> created = sagas.insert(id, definition, definitionJson, hash, trace, event);
        created.ifPresent(at -> submitted.fire(new SagaSubmitted(id, definition.priority())));
        return created;
    }

    /**
     * Runs an ended saga again: a new saga with its definition (payload, steps, labels, priority, everything), the
     * same submitter's, its own trace, linked both ways in the histories. The definition is checked again as a
     * submission is, since the allow-list and the secrets may have changed since. With {@code idempotencyKey}, a
     * retried rerun of the same saga by the same caller finds the saga the first one made ({@code created} false).
     * The key is kept in the ended saga's history rather than as the new saga's submission key: the new saga is the
     * submitter's, and an operator's key must not take or meet one of the submitter's own.
     */
    public Submitted rerun(UUID id, SagaScope scope, String by, String idempotencyKey) {
        QueryParams.text("Idempotency-Key", idempotencyKey, MAX_HEADER_LENGTH);
        record Made(UUID id, boolean created) {
        }
        Made made = QuarkusTransaction.requiringNew().call(() -> {
            SagaStore.Original original = sagas.lockForRerun(id).filter(o -> scope.includes(o.submitter()))
                    .orElseThrow(() -> SagaQueries.notFound(id));
            Optional<UUID> earlier = idempotencyKey == null ? Optional.empty() : sagas.rerunByKey(id, by, idempotencyKey);
            if (earlier.isPresent()) {
                return new Made(earlier.get(), false);
            }
            if (!original.status().isTerminal()) {
                throw new ProblemException.Conflict("saga " + id + " is " + original.status()
                        + "; only a saga that has ended can be run again");
            }
            SagaRequest definition = json.read(original.definition(), SagaRequest.class);
            validator.validate(definition);
            String definitionJson = write(definition);
            UUID copy = UUID.randomUUID();
            insert(copy, definition, definitionJson, sha256(definitionJson), null,
                    new SagaEvent.Submitted(original.submitter(), null, id, by));
            sagas.recordRerun(id, original.type(), new SagaEvent.RerunSubmitted(copy, by, idempotencyKey));
            return new Made(copy, true);
        });
        return new Submitted(queries.view(made.id(), scope), made.created());
    }

    /** The view of a saga just stored: nothing has run yet, so it is built from the definition alone. */
    private static SagaView pendingView(UUID id, String submitter, SagaRequest definition, Instant createdAt,
                                        TraceParent trace) {
        RequestPreviews previews = new RequestPreviews(id, 1, definition.steps(), definition.payload(), step -> null);
        List<SagaView.Step> steps = IntStream.range(0, definition.steps().size()).mapToObj(i -> {
            SagaRequest.Step s = definition.steps().get(i);
            RequestPreviews.Preview action = previews.action(i);
            RequestPreviews.Preview compensation = previews.compensation(i);
            return new SagaView.Step(s.name(), StepStatus.PENDING, 0, null, null, action.request(), action.note(), null,
                    null, List.of(), 0, new SagaView.Compensation(initialCompensation(s), 0, null, compensation.request(),
                    compensation.note()));
        }).toList();
        return new SagaView(id, definition.type(), submitter, SagaStatus.PENDING, null, definition.priority(),
                definition.labels(), createdAt, null, createdAt, null, null, definition.steps().getFirst().name(),
                definition.payload(), steps, List.of(), null, (trace == null ? TraceParent.ofSaga(id) : trace).traceId(),
                null, List.of(), SagaActions.of(SagaStatus.PENDING, null, null, null, createdAt));
    }

    private static CompensationStatus initialCompensation(SagaRequest.Step step) {
        return step.compensation() == null ? CompensationStatus.NOT_NEEDED : CompensationStatus.NOT_STARTED;
    }

    private UUID existing(String submitter, String key, String hash) {
        SagaStore.Keyed found = sagas.byIdempotencyKey(submitter, key)
                .orElseThrow(() -> new IllegalStateException("idempotency key " + key + " conflicted but is gone"));
        if (!found.requestHash().equals(hash)) {
            throw new ProblemException.Conflict("Idempotency-Key '" + key + "' was used for saga " + found.id()
                    + " with a different request body");
        }
        return found.id();
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

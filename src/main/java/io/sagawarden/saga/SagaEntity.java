package io.sagawarden.saga;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A row of {@code sagas}. Read through Panache; every state change is a guarded statement elsewhere. */
@Entity
@Table(name = "sagas")
public class SagaEntity extends PanacheEntityBase {

    @Id
    public UUID id;
    public String type;
    @Enumerated(EnumType.STRING)
    public SagaStatus status;
    @Enumerated(EnumType.STRING)
    public SagaReason reason;
    public int priority;
    public long version;
    @JdbcTypeCode(SqlTypes.JSON)
    public String definition;
    @JdbcTypeCode(SqlTypes.JSON)
    public String payload;
    @JdbcTypeCode(SqlTypes.JSON)
    public String labels;
    @Column(name = "on_deadlock")
    @Enumerated(EnumType.STRING)
    public OnDeadlock onDeadlock;
    @Column(name = "timeout_ms")
    public Long timeoutMs;
    @Column(name = "lock_timeout_ms")
    public Long lockTimeoutMs;
    public String submitter;
    @Column(name = "idempotency_key")
    public String idempotencyKey;
    @Column(name = "request_hash")
    public String requestHash;
    @Column(name = "current_step")
    public int currentStep;
    @Column(name = "abort_reason")
    @Enumerated(EnumType.STRING)
    public SagaReason abortReason;
    @Column(name = "lease_owner")
    public String leaseOwner;
    @Column(name = "trace_parent")
    public String traceParent;
    @Column(name = "lease_expires_at")
    public Instant leaseExpiresAt;
    @Column(name = "next_run_at")
    public Instant nextRunAt;
    @Column(name = "recovery_count")
    public int recoveryCount;
    @Column(name = "restart_count")
    public int restartCount;
    @Column(name = "created_at")
    public Instant createdAt;
    @Column(name = "started_at")
    public Instant startedAt;
    @Column(name = "updated_at")
    public Instant updatedAt;
    @Column(name = "progress_at")
    public Instant progressAt;
    @Column(name = "ended_at")
    public Instant endedAt;
}

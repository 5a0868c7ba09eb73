package io.sagawarden.saga;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.Instant;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** A row of {@code saga_steps}: one step's progress, action and compensation. */
@Entity
@Table(name = "saga_steps")
@IdClass(SagaStepEntity.Key.class)
public class SagaStepEntity extends PanacheEntityBase {

    public record Key(UUID sagaId, int idx) implements Serializable {
        public Key() {
            this(null, 0);
        }
    }

    @Id
    @Column(name = "saga_id")
    public UUID sagaId;
    @Id
    public int idx;
    public String name;
    @Enumerated(EnumType.STRING)
    public StepStatus status;
    public int attempts;
    @Column(name = "started_at")
    public Instant startedAt;
    @Column(name = "ended_at")
    public Instant endedAt;
    @JdbcTypeCode(SqlTypes.JSON)
    public String response;
    @Column(name = "last_error")
    public String lastError;
    @Column(name = "compensation_status")
    @Enumerated(EnumType.STRING)
    public CompensationStatus compensationStatus;
    @Column(name = "compensation_attempts")
    public int compensationAttempts;
    @Column(name = "compensation_last_error")
    public String compensationLastError;
}

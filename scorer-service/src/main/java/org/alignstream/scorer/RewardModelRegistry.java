package org.alignstream.scorer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.alignstream.common.stage.InvalidRecordException;
import org.alignstream.inference.reward.RewardModel;

/**
 * The reward models a scorer serves, by id. A request names one in {@code Strategy.reward_model} (null: the default,
 * the first model registered); Transfer Q* with indirect transfer also names the baseline's reward in
 * {@code Strategy.baseline_reward_model}. Owns the models: closing the registry closes them.
 */
public final class RewardModelRegistry implements AutoCloseable {

    private final Map<String, RewardModel> models = new LinkedHashMap<>();

    /** A registry whose default is {@code defaultModel}. */
    public RewardModelRegistry(RewardModel defaultModel) {
        add(defaultModel);
    }

    /** Serves {@code model} under its id; ids must be unique. */
    public RewardModelRegistry add(RewardModel model) {
        Objects.requireNonNull(model, "model");
        if (models.containsKey(model.id())) {
            throw new IllegalArgumentException("two reward models have the id '" + model.id()
                    + "'; each served model needs its own id");
        }
        models.put(model.id(), model);
        return this;
    }

    /** The default model (the first registered). */
    public RewardModel defaultModel() {
        return models.values().iterator().next();
    }

    /** The model with this id, or the default for {@code null}; an unknown id is the request's error. */
    public RewardModel resolve(String id) {
        if (id == null) {
            return defaultModel();
        }
        RewardModel model = models.get(id);
        if (model == null) {
            throw new InvalidRecordException("unknown reward model '" + id + "'; this scorer serves " + ids());
        }
        return model;
    }

    public List<String> ids() {
        return new ArrayList<>(models.keySet());
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (RewardModel model : models.values()) {
            try {
                model.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}

package org.alignstream.feedback;

import java.util.List;

/** The frozen backbone as training sees it: features of texts, one batch per call. */
public interface Featurizer {

    /** Features of every text, in one batch. */
    float[][] features(List<String> texts);

    /** The backbone's name, as reward heads record it (e.g. {@code all-MiniLM-L6-v2-int8}). */
    String backbone();
}

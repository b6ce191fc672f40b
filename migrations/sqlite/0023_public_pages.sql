-- Public pages: the circles that opted in, the sections their stewards wrote (Markdown, per
-- language), and the items their authors (or, for news, stewards) shared on them.
CREATE TABLE public_circles (
    circle BIGINT PRIMARY KEY REFERENCES circles (id),
    enabled BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

CREATE TABLE public_texts (
    circle BIGINT NOT NULL REFERENCES circles (id),
    language TEXT NOT NULL,
    section TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (circle, language, section)
);

CREATE TABLE public_items (
    circle BIGINT NOT NULL REFERENCES circles (id),
    kind TEXT NOT NULL,
    item BIGINT NOT NULL,
    shared_by BIGINT NOT NULL REFERENCES users (id),
    shared_at_ms BIGINT NOT NULL,
    PRIMARY KEY (circle, kind, item)
);
CREATE INDEX public_items_by_person ON public_items (shared_by);

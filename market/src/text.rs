//! Text analysis shared by search and matching: words are split, lowercased, stripped of
//! stop words, stemmed (Snowball) in the language they were written in, folded (accents
//! removed) and mapped through a small thesaurus of the words circles trade in, so "fix
//! bicycles" and "bike repair" meet, and so do "bici" and "bike".

use std::collections::HashMap;
use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};

/// Longest word kept, in bytes (longer runs are not words people search for).
pub const WORD_BYTES_MAX: usize = 40;
/// Most words of one query that count (the rest are ignored).
pub const QUERY_WORDS_MAX: usize = 12;

/// A language the node can stem. Listings are stemmed in their author's language, queries in
/// every language (each word keeps its alternatives; see [`query`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    English,
    Spanish,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::English, Language::Spanish];

    /// From a BCP 47 tag's primary language (`es-MX` is Spanish); English otherwise.
    pub fn from_tag(tag: &str) -> Language {
        match tag
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
            .as_str()
        {
            "es" => Language::Spanish,
            _ => Language::English,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Spanish => "es",
        }
    }

    fn stemmer(self) -> Stemmer {
        Stemmer::create(match self {
            Language::English => Algorithm::English,
            Language::Spanish => Algorithm::Spanish,
        })
    }

    fn stop_words(self) -> &'static [&'static str] {
        match self {
            Language::English => ENGLISH_STOP_WORDS,
            Language::Spanish => SPANISH_STOP_WORDS,
        }
    }
}

/// Function words, and the words almost every listing uses ("need", "help", "offer"), which
/// would otherwise make every listing look like every other.
const ENGLISH_STOP_WORDS: &[&str] = &[
    "a", "about", "an", "and", "any", "anyone", "are", "as", "at", "be", "but", "by", "can",
    "could", "do", "for", "from", "get", "have", "help", "i", "if", "im", "in", "into", "is", "it",
    "its", "just", "looking", "me", "my", "need", "needed", "needs", "of", "offer", "offering",
    "on", "or", "our", "please", "so", "some", "someone", "that", "the", "their", "them", "there",
    "this", "to", "up", "us", "want", "wanted", "was", "we", "will", "with", "would", "you",
    "your",
];
const SPANISH_STOP_WORDS: &[&str] = &[
    "a", "al", "alguien", "algun", "alguna", "ayuda", "ayudar", "busco", "como", "con", "de",
    "del", "el", "ella", "en", "es", "esta", "este", "hay", "la", "las", "le", "lo", "los", "me",
    "mi", "mis", "muy", "necesito", "no", "o", "ofrezco", "para", "pero", "por", "que", "se", "si",
    "su", "sus", "te", "tu", "un", "una", "unos", "y", "ya", "yo",
];

/// Concepts people name in different words. Each group's words (in any language) become one
/// term: the stem of the group's first word. Kept small and specific: a word that means
/// different things in different listings ("drive": a car or a disk) stays out.
const THESAURUS: &[&[(Language, &str)]] = {
    use Language::{English as E, Spanish as S};
    &[
        &[
            (E, "bicycle"),
            (E, "bike"),
            (E, "cycle"),
            (E, "cycling"),
            (S, "bicicleta"),
            (S, "bici"),
        ],
        &[
            (E, "repair"),
            (E, "fix"),
            (E, "mend"),
            (S, "reparar"),
            (S, "arreglar"),
            (S, "reparación"),
            (S, "arreglo"),
        ],
        &[
            (E, "lift"),
            (E, "ride"),
            (S, "llevar"),
            (S, "aventón"),
            (S, "viaje"),
        ],
        &[
            (E, "car"),
            (E, "van"),
            (S, "coche"),
            (S, "carro"),
            (S, "auto"),
        ],
        &[
            (E, "computer"),
            (E, "laptop"),
            (E, "pc"),
            (S, "ordenador"),
            (S, "computadora"),
            (S, "portátil"),
        ],
        &[
            (E, "phone"),
            (E, "smartphone"),
            (E, "mobile"),
            (S, "teléfono"),
            (S, "móvil"),
            (S, "celular"),
        ],
        &[
            (E, "tax"),
            (E, "taxes"),
            (S, "impuesto"),
            (S, "impuestos"),
            (S, "hacienda"),
        ],
        &[
            (E, "paperwork"),
            (E, "form"),
            (E, "forms"),
            (E, "application"),
            (S, "papeleo"),
            (S, "trámite"),
            (S, "formulario"),
        ],
        &[
            (E, "sew"),
            (E, "sewing"),
            (E, "hem"),
            (E, "hemming"),
            (E, "alteration"),
            (E, "tailor"),
            (S, "coser"),
            (S, "costura"),
            (S, "arreglos"),
        ],
        &[
            (E, "clothes"),
            (E, "clothing"),
            (E, "trousers"),
            (E, "jeans"),
            (E, "dress"),
            (E, "shirt"),
            (S, "ropa"),
            (S, "pantalón"),
            (S, "pantalones"),
        ],
        &[
            (E, "child"),
            (E, "children"),
            (E, "kid"),
            (E, "kids"),
            (E, "baby"),
            (E, "toddler"),
            (S, "niño"),
            (S, "niña"),
            (S, "niños"),
            (S, "bebé"),
        ],
        &[
            (E, "childcare"),
            (E, "babysit"),
            (E, "babysitting"),
            (E, "babysitter"),
            (E, "nanny"),
            (S, "canguro"),
            (S, "niñera"),
        ],
        &[
            (E, "garden"),
            (E, "gardening"),
            (E, "yard"),
            (E, "allotment"),
            (S, "jardín"),
            (S, "huerto"),
            (S, "jardinería"),
        ],
        &[
            (E, "dog"),
            (E, "dogs"),
            (E, "puppy"),
            (S, "perro"),
            (S, "perros"),
        ],
        &[
            (E, "cat"),
            (E, "cats"),
            (E, "kitten"),
            (S, "gato"),
            (S, "gatos"),
        ],
        &[
            (E, "lesson"),
            (E, "lessons"),
            (E, "tutor"),
            (E, "tutoring"),
            (E, "teach"),
            (E, "class"),
            (E, "classes"),
            (S, "clase"),
            (S, "clases"),
            (S, "enseñar"),
            (S, "profesor"),
        ],
        &[(E, "english"), (S, "inglés")],
        &[(E, "spanish"), (S, "español"), (S, "castellano")],
        &[(E, "guitar"), (S, "guitarra")],
        &[(E, "piano"), (E, "keyboard"), (S, "piano"), (S, "teclado")],
        &[
            (E, "move"),
            (E, "moving"),
            (E, "removal"),
            (E, "removals"),
            (S, "mudanza"),
            (S, "mudar"),
        ],
        &[(E, "ladder"), (E, "stepladder"), (S, "escalera")],
        &[(E, "drill"), (S, "taladro")],
        &[
            (E, "cook"),
            (E, "cooking"),
            (E, "meal"),
            (E, "meals"),
            (E, "dinner"),
            (E, "lunch"),
            (S, "cocinar"),
            (S, "comida"),
            (S, "cena"),
            (S, "comidas"),
        ],
        &[
            (E, "bake"),
            (E, "baking"),
            (E, "bread"),
            (E, "cake"),
            (S, "pan"),
            (S, "hornear"),
            (S, "pastel"),
            (S, "tarta"),
        ],
        &[
            (E, "clean"),
            (E, "cleaning"),
            (S, "limpiar"),
            (S, "limpieza"),
        ],
        &[
            (E, "paint"),
            (E, "painting"),
            (E, "decorate"),
            (E, "decorating"),
            (S, "pintar"),
            (S, "pintura"),
        ],
        &[
            (E, "translate"),
            (E, "translation"),
            (E, "translator"),
            (S, "traducir"),
            (S, "traducción"),
        ],
        &[
            (E, "elderly"),
            (E, "older"),
            (E, "grandmother"),
            (E, "grandfather"),
            (E, "senior"),
            (S, "mayores"),
            (S, "abuela"),
            (S, "abuelo"),
        ],
        &[
            (E, "hospital"),
            (E, "clinic"),
            (E, "doctor"),
            (E, "appointment"),
            (S, "médico"),
            (S, "clínica"),
            (S, "cita"),
        ],
        &[
            (E, "photo"),
            (E, "photos"),
            (E, "photograph"),
            (E, "photography"),
            (E, "camera"),
            (S, "foto"),
            (S, "fotos"),
            (S, "fotografía"),
            (S, "cámara"),
        ],
        &[
            (E, "furniture"),
            (E, "chair"),
            (E, "table"),
            (E, "shelf"),
            (E, "shelves"),
            (E, "wardrobe"),
            (S, "mueble"),
            (S, "muebles"),
            (S, "silla"),
            (S, "mesa"),
        ],
        &[(E, "book"), (E, "books"), (S, "libro"), (S, "libros")],
        &[
            (E, "vegetable"),
            (E, "vegetables"),
            (E, "veg"),
            (E, "produce"),
            (S, "verdura"),
            (S, "verduras"),
            (S, "hortalizas"),
        ],
        &[
            (E, "seed"),
            (E, "seeds"),
            (E, "seedling"),
            (E, "seedlings"),
            (S, "semilla"),
            (S, "semillas"),
            (S, "plantón"),
            (S, "plantones"),
            (S, "semillero"),
            (S, "semilleros"),
        ],
        &[(E, "cv"), (E, "resume"), (S, "currículum")],
        &[
            (E, "letter"),
            (E, "letters"),
            (E, "writing"),
            (S, "carta"),
            (S, "cartas"),
            (S, "escribir"),
        ],
        &[(E, "wifi"), (E, "internet"), (E, "router"), (S, "internet")],
        &[(E, "massage"), (S, "masaje")],
        &[(E, "workshop"), (S, "taller")],
        &[
            (E, "knit"),
            (E, "knitting"),
            (E, "crochet"),
            (S, "tejer"),
            (S, "punto"),
            (S, "ganchillo"),
        ],
        &[
            (E, "plumbing"),
            (E, "plumber"),
            (E, "tap"),
            (E, "leak"),
            (E, "leaking"),
            (E, "dripping"),
            (S, "fontanero"),
            (S, "grifo"),
            (S, "fuga"),
        ],
        &[
            (E, "electrician"),
            (E, "wiring"),
            (E, "socket"),
            (E, "light"),
            (S, "electricista"),
            (S, "enchufe"),
        ],
        &[
            (E, "groceries"),
            (E, "shopping"),
            (S, "compra"),
            (S, "compras"),
        ],
        // The market's words that are spelled alike but stemmed apart, or differ entirely:
        // what members offer and need most, from food and animals to gear and care.
        &[(E, "yoga"), (S, "yoga")],
        &[(E, "pilates"), (S, "pilates")],
        &[
            (E, "tomato"),
            (E, "tomatoes"),
            (S, "tomate"),
            (S, "tomates"),
        ],
        &[
            (E, "potato"),
            (E, "potatoes"),
            (S, "patata"),
            (S, "patatas"),
        ],
        &[
            (E, "egg"),
            (E, "eggs"),
            (E, "hen"),
            (E, "hens"),
            (S, "huevo"),
            (S, "huevos"),
            (S, "gallina"),
            (S, "gallinas"),
        ],
        &[(E, "apple"), (E, "apples"), (S, "manzana"), (S, "manzanas")],
        &[
            (E, "jam"),
            (E, "preserve"),
            (S, "mermelada"),
            (S, "confitura"),
        ],
        &[(E, "sourdough"), (E, "dough"), (S, "masa")],
        &[(E, "honey"), (S, "miel")],
        &[(E, "oven"), (E, "ovens"), (S, "horno"), (S, "hornos")],
        &[(E, "tenancy"), (E, "rent"), (E, "rental"), (S, "alquiler")],
        &[
            (E, "tent"),
            (E, "camping"),
            (S, "campaña"),
            (S, "acampada"),
            (S, "camping"),
        ],
        &[(E, "highchair"), (S, "trona")],
        &[(E, "pram"), (E, "pushchair"), (E, "buggy"), (S, "carrito")],
        &[(E, "toy"), (E, "toys"), (S, "juguete"), (S, "juguetes")],
        &[
            (E, "visit"),
            (E, "visits"),
            (E, "company"),
            (E, "companionship"),
            (S, "visita"),
            (S, "visitas"),
            (S, "compañía"),
        ],
        &[(E, "wedding"), (S, "boda")],
        &[(E, "birthday"), (S, "cumpleaños")],
        &[(E, "party"), (E, "parties"), (S, "fiesta"), (S, "fiestas")],
        &[(E, "dress"), (S, "vestido")],
        &[(E, "shoes"), (E, "boots"), (S, "zapatos"), (S, "botas")],
        &[(E, "coat"), (E, "jacket"), (S, "abrigo"), (S, "chaqueta")],
        &[(E, "sofa"), (E, "couch"), (S, "sofá")],
        &[(E, "bed"), (E, "mattress"), (S, "cama"), (S, "colchón")],
        &[
            (E, "fridge"),
            (E, "freezer"),
            (S, "nevera"),
            (S, "frigorífico"),
            (S, "congelador"),
        ],
        &[
            (E, "washing"),
            (E, "laundry"),
            (S, "lavadora"),
            (S, "colada"),
        ],
        &[(E, "ironing"), (E, "iron"), (S, "planchar"), (S, "plancha")],
        &[
            (E, "roof"),
            (E, "gutter"),
            (E, "gutters"),
            (S, "tejado"),
            (S, "canalón"),
            (S, "canalones"),
        ],
        &[(E, "wall"), (E, "walls"), (S, "pared"), (S, "paredes")],
        &[
            (E, "window"),
            (E, "windows"),
            (S, "ventana"),
            (S, "ventanas"),
        ],
        &[
            (E, "door"),
            (E, "doors"),
            (E, "lock"),
            (S, "puerta"),
            (S, "puertas"),
            (S, "cerradura"),
        ],
        &[(E, "saw"), (S, "sierra")],
        &[(E, "hammer"), (S, "martillo")],
        &[
            (E, "lawnmower"),
            (E, "mower"),
            (E, "lawn"),
            (S, "cortacésped"),
            (S, "césped"),
        ],
        &[(E, "fish"), (S, "pez"), (S, "peces"), (S, "pescado")],
        &[(E, "bird"), (E, "birds"), (S, "pájaro"), (S, "pájaros")],
        &[
            (E, "maths"),
            (E, "math"),
            (E, "mathematics"),
            (S, "matemáticas"),
        ],
        &[
            (E, "science"),
            (E, "physics"),
            (E, "chemistry"),
            (S, "ciencias"),
            (S, "física"),
            (S, "química"),
        ],
        &[(E, "homework"), (S, "deberes"), (S, "tareas")],
        &[
            (E, "exam"),
            (E, "exams"),
            (E, "test"),
            (S, "examen"),
            (S, "exámenes"),
        ],
        &[
            (E, "song"),
            (E, "songs"),
            (E, "sing"),
            (E, "singing"),
            (S, "canción"),
            (S, "canciones"),
            (S, "cantar"),
        ],
        &[(E, "dance"), (E, "dancing"), (S, "baile"), (S, "bailar")],
        &[
            (E, "drawing"),
            (E, "draw"),
            (E, "sketch"),
            (S, "dibujo"),
            (S, "dibujar"),
        ],
        &[
            (E, "film"),
            (E, "films"),
            (E, "movie"),
            (E, "cinema"),
            (S, "película"),
            (S, "películas"),
            (S, "cine"),
        ],
        &[(E, "game"), (E, "games"), (S, "juego"), (S, "juegos")],
        &[
            (E, "walk"),
            (E, "walks"),
            (E, "walking"),
            (S, "paseo"),
            (S, "paseos"),
            (S, "pasear"),
        ],
        &[(E, "run"), (E, "running"), (E, "jog"), (S, "correr")],
        &[(E, "swim"), (E, "swimming"), (S, "nadar"), (S, "natación")],
        &[
            (E, "hair"),
            (E, "haircut"),
            (S, "pelo"),
            (S, "corte"),
            (S, "peluquería"),
        ],
        &[(E, "tax"), (E, "taxes"), (S, "renta")],
        &[(E, "bank"), (S, "banco")],
        &[
            (E, "job"),
            (E, "jobs"),
            (E, "interview"),
            (S, "trabajo"),
            (S, "entrevista"),
        ],
    ]
};

/// Lowercase Latin letters without accents (`ñ` stays: it is its own letter).
fn fold(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            other => other,
        })
        .collect()
}

/// The words of a text, lowercased, in order; apostrophes join ("I'm" is "im").
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .map(|w| w.replace(['\'', '’'], "").to_lowercase())
        .filter(|w| !w.is_empty() && w.len() <= WORD_BYTES_MAX)
}

fn thesaurus() -> &'static HashMap<String, String> {
    static MAP: OnceLock<HashMap<String, String>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut map = HashMap::new();
        for group in THESAURUS {
            let canonical = {
                let (language, word) = group[0];
                fold(&language.stemmer().stem(word))
            };
            for (language, word) in group.iter() {
                let stem = fold(&language.stemmer().stem(&word.to_lowercase()));
                map.entry(stem).or_insert_with(|| canonical.clone());
            }
        }
        map
    })
}

/// One word's term in one language, or `None` for a stop word.
fn term(word: &str, language: Language, stemmer: &Stemmer) -> Option<String> {
    let folded = fold(word);
    if language.stop_words().contains(&folded.as_str()) {
        return None;
    }
    let stem = fold(&stemmer.stem(word));
    Some(thesaurus().get(&stem).cloned().unwrap_or(stem))
}

/// The terms of a text written in `language`, in order, repeats kept (they count).
pub fn analyze(text: &str, language: Language) -> Vec<String> {
    let stemmer = language.stemmer();
    words(text)
        .filter_map(|word| term(&word, language, &stemmer))
        .collect()
}

/// A query as groups of alternatives: one group per word, holding that word's term in the
/// searcher's language first and in each other language after, since people search listings
/// written in other languages and type words borrowed from them. A listing matches a group
/// when it holds any of its terms. Stop words (of any language) are dropped.
pub fn query(text: &str, searcher: Language) -> Vec<Vec<String>> {
    let mut languages = vec![searcher];
    languages.extend(Language::ALL.iter().copied().filter(|l| *l != searcher));
    let stemmers: Vec<Stemmer> = languages.iter().map(|l| l.stemmer()).collect();
    let mut groups: Vec<Vec<String>> = Vec::new();
    for word in words(text).take(QUERY_WORDS_MAX) {
        // A stop word in any language is dropped: "and" says nothing to a Spanish searcher
        // either.
        let Some(terms) = languages
            .iter()
            .zip(&stemmers)
            .map(|(language, stemmer)| term(&word, *language, stemmer))
            .collect::<Option<Vec<String>>>()
        else {
            continue;
        };
        let mut group: Vec<String> = Vec::with_capacity(terms.len());
        for term in terms {
            if !group.contains(&term) {
                group.push(term);
            }
        }
        if !groups.contains(&group) {
            groups.push(group);
        }
    }
    groups
}

/// A tag's term: tags are analysed like words, in the listing's language.
pub fn tag_term(tag: &str, language: Language) -> Option<String> {
    analyze(tag, language).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_stemmed_folded_and_stop_words_dropped() {
        assert_eq!(
            analyze("I'm repairing the bikes!", Language::English),
            vec!["repair", "bicycl"]
        );
        assert_eq!(
            analyze("Fix bicycles", Language::English),
            vec!["repair", "bicycl"]
        );
        assert_eq!(
            analyze("Necesito arreglar mi bici", Language::Spanish),
            vec!["repair", "bicycl"]
        );
        assert_eq!(
            analyze("lección Lecciones", Language::Spanish),
            vec!["leccion", "leccion"]
        );
    }

    #[test]
    fn a_query_keeps_each_words_alternatives_searchers_language_first() {
        let groups = query("gardens and cakes", Language::Spanish);
        assert_eq!(groups.len(), 2, "{groups:?}");
        assert!(groups[0].contains(&"garden".to_string()), "{groups:?}");
        assert!(groups[1].contains(&"bake".to_string()), "{groups:?}");
        assert!(query("the and of", Language::English).is_empty());
    }

    #[test]
    fn long_queries_are_cut_and_overlong_words_skipped() {
        let many = "apple ".repeat(30) + &"x".repeat(100);
        assert_eq!(query(&many, Language::English).len(), 1);
        let distinct: String = (0..30).map(|i| format!("word{i} ")).collect();
        assert_eq!(query(&distinct, Language::English).len(), QUERY_WORDS_MAX);
    }
}

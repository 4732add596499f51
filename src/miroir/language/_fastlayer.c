/* The n-gram part of the learned layer's scores, in one pass over a chunk's bytes.
 *
 * Optional accelerator of miroir.language.learned (_Index.scores): same tokens, same unigram and
 * bigram features, same weights; learned.py falls back to its numpy path when this module is not
 * built. It reads the UTF-8 bytes of the turns joined by '\x1e' and cuts the tokens learned.TOKEN_RE
 * cuts (see char_kind). A bigram is two consecutive known tokens of the same turn.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    PyObject_HEAD
    Py_ssize_t k;          /* weights per feature (labels) */
    Py_ssize_t v;          /* known tokens */
    /* token table: open addressing on FNV-1a hashes; slot -> token id + 1 (0 = empty) */
    uint64_t *tok_hash;
    int32_t *tok_slot;
    Py_ssize_t tok_mask;
    char *blob;            /* the tokens' bytes, back to back */
    Py_ssize_t *tok_off;   /* (v + 1) offsets into blob */
    double *uni_w;         /* (v, k) unigram weights (zero row: not a unigram feature) */
    /* bigram table: key a * v + b -> bigram row + 1 */
    uint64_t *bi_key;
    int32_t *bi_slot;
    Py_ssize_t bi_mask;
    double *bi_w;          /* (b, k) */
} Index;

static uint64_t fnv1a(const unsigned char *s, Py_ssize_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static Py_ssize_t table_size(Py_ssize_t n) {
    Py_ssize_t size = 16;
    while (size < 2 * n + 1) size <<= 1;
    return size;
}

static void Index_dealloc(Index *self) {
    PyMem_Free(self->tok_hash);
    PyMem_Free(self->tok_slot);
    PyMem_Free(self->blob);
    PyMem_Free(self->tok_off);
    PyMem_Free(self->uni_w);
    PyMem_Free(self->bi_key);
    PyMem_Free(self->bi_slot);
    PyMem_Free(self->bi_w);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* token id of s[0:n], or -1 */
static inline int32_t lookup(const Index *self, const unsigned char *s, Py_ssize_t n) {
    uint64_t h = fnv1a(s, n);
    Py_ssize_t i = (Py_ssize_t)(h & (uint64_t)self->tok_mask);
    for (;;) {
        int32_t slot = self->tok_slot[i];
        if (slot == 0) return -1;
        int32_t id = slot - 1;
        if (self->tok_hash[i] == h && self->tok_off[id + 1] - self->tok_off[id] == n &&
            memcmp(self->blob + self->tok_off[id], s, (size_t)n) == 0)
            return id;
        i = (i + 1) & self->tok_mask;
    }
}

static inline int32_t bigram(const Index *self, uint64_t key) {
    Py_ssize_t i = (Py_ssize_t)(mix(key) & (uint64_t)self->bi_mask);
    for (;;) {
        int32_t slot = self->bi_slot[i];
        if (slot == 0) return -1;
        if (self->bi_key[i] == key) return slot - 1;
        i = (i + 1) & self->bi_mask;
    }
}

/* Index(tokens: list[bytes], uni_w: bytes (v*k float64), pairs: bytes (b*2 int64 token ids),
 *       bi_w: bytes (b*k float64), k: int) */
static int Index_init(Index *self, PyObject *args, PyObject *kwds) {
    PyObject *tokens;
    Py_buffer uni, pairs, biw;
    Py_ssize_t k;
    if (!PyArg_ParseTuple(args, "O!y*y*y*n", &PyList_Type, &tokens, &uni, &pairs, &biw, &k)) return -1;
    int ok = -1;
    Py_ssize_t v = PyList_GET_SIZE(tokens);
    Py_ssize_t b = pairs.len / (Py_ssize_t)(2 * sizeof(int64_t));
    if (k <= 0 || uni.len != v * k * (Py_ssize_t)sizeof(double) || biw.len != b * k * (Py_ssize_t)sizeof(double) ||
        pairs.len != b * 2 * (Py_ssize_t)sizeof(int64_t)) {
        PyErr_SetString(PyExc_ValueError, "inconsistent sizes of the learned layer's tables");
        goto done;
    }
    if (self->tok_slot != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Index is already initialised");
        goto done;
    }
    self->k = k;
    self->v = v;
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < v; i++) {
        PyObject *t = PyList_GET_ITEM(tokens, i);
        if (!PyBytes_Check(t)) {
            PyErr_SetString(PyExc_TypeError, "tokens must be bytes");
            goto done;
        }
        total += PyBytes_GET_SIZE(t);
    }
    Py_ssize_t ts = table_size(v), bs = table_size(b);
    self->tok_mask = ts - 1;
    self->bi_mask = bs - 1;
    self->tok_hash = PyMem_Calloc((size_t)ts, sizeof(uint64_t));
    self->tok_slot = PyMem_Calloc((size_t)ts, sizeof(int32_t));
    self->blob = PyMem_Malloc((size_t)total + 1);
    self->tok_off = PyMem_Malloc((size_t)(v + 1) * sizeof(Py_ssize_t));
    self->uni_w = PyMem_Malloc((size_t)(v * k + 1) * sizeof(double));
    self->bi_key = PyMem_Calloc((size_t)bs, sizeof(uint64_t));
    self->bi_slot = PyMem_Calloc((size_t)bs, sizeof(int32_t));
    self->bi_w = PyMem_Malloc((size_t)(b * k + 1) * sizeof(double));
    if (!self->tok_hash || !self->tok_slot || !self->blob || !self->tok_off || !self->uni_w || !self->bi_key ||
        !self->bi_slot || !self->bi_w) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t off = 0;
    for (Py_ssize_t i = 0; i < v; i++) {
        PyObject *t = PyList_GET_ITEM(tokens, i);
        Py_ssize_t n = PyBytes_GET_SIZE(t);
        const unsigned char *s = (const unsigned char *)PyBytes_AS_STRING(t);
        self->tok_off[i] = off;
        memcpy(self->blob + off, s, (size_t)n);
        off += n;
        self->tok_off[i + 1] = off;
        uint64_t h = fnv1a(s, n);
        Py_ssize_t j = (Py_ssize_t)(h & (uint64_t)self->tok_mask);
        while (self->tok_slot[j] != 0) j = (j + 1) & self->tok_mask;
        self->tok_slot[j] = (int32_t)(i + 1);
        self->tok_hash[j] = h;
    }
    memcpy(self->uni_w, uni.buf, (size_t)uni.len);
    memcpy(self->bi_w, biw.buf, (size_t)biw.len);
    const int64_t *pr = (const int64_t *)pairs.buf;
    for (Py_ssize_t i = 0; i < b; i++) {
        if (pr[2 * i] < 0 || pr[2 * i] >= v || pr[2 * i + 1] < 0 || pr[2 * i + 1] >= v) {
            PyErr_SetString(PyExc_ValueError, "bigram token id out of range");
            goto done;
        }
        uint64_t key = (uint64_t)pr[2 * i] * (uint64_t)v + (uint64_t)pr[2 * i + 1];
        Py_ssize_t j = (Py_ssize_t)(mix(key) & (uint64_t)self->bi_mask);
        while (self->bi_slot[j] != 0) j = (j + 1) & self->bi_mask;
        self->bi_slot[j] = (int32_t)(i + 1);
        self->bi_key[j] = key;
    }
    ok = 0;
done:
    PyBuffer_Release(&uni);
    PyBuffer_Release(&pairs);
    PyBuffer_Release(&biw);
    return ok;
}

/* What a character is to the tokenizer (learned.TOKEN_RE): 0 a separator, 1 part of a word, 2 a token by
 * itself ('?', '!', the turn separator 0x1e). ASCII: letters, digits and '_' are word characters; every
 * other character is a word character but the typographic punctuation and spaces of learned._NON_WORD. */
static const uint32_t NON_WORD[] = {0x00AB, 0x00BB, 0x201C, 0x201D, 0x201E, 0x2039, 0x203A, 0x2026, 0x2013,
                                    0x2014, 0x2015, 0x2022, 0x00B7, 0x20AC, 0x00A3, 0x00A5, 0x00B0, 0x00A7,
                                    0x00B6, 0x2009, 0x200A, 0x200B, 0x2028, 0x2029, 0x3000};

static inline int ascii_kind(unsigned char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return 1;
    if (c == '?' || c == '!' || c == 0x1e) return 2;
    return 0;
}

/* kind of the character at s[i] (UTF-8); *n receives its length in bytes */
static inline int char_kind(const unsigned char *s, Py_ssize_t i, Py_ssize_t len, Py_ssize_t *n) {
    unsigned char c = s[i];
    if (c < 0x80) {
        *n = 1;
        return ascii_kind(c);
    }
    Py_ssize_t m = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (i + m > len) m = len - i;
    *n = m;
    uint32_t cp = m == 2 ? ((uint32_t)(c & 0x1F) << 6) | (s[i + 1] & 0x3F)
                : m == 3 ? ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F)
                : 0;
    if (cp == 0) return 1;
    for (size_t j = 0; j < sizeof(NON_WORD) / sizeof(NON_WORD[0]); j++)
        if (NON_WORD[j] == cp) return 0;
    return 1;
}

/* The next token of s from *pos: its start (or -1 at the end) and length; *pos moves past it. */
static inline Py_ssize_t next_token(const unsigned char *s, Py_ssize_t len, Py_ssize_t *pos, Py_ssize_t *tok_len) {
    Py_ssize_t i = *pos, n;
    while (i < len) {
        int kind = char_kind(s, i, len, &n);
        if (kind == 2) {
            *pos = i + 1;
            *tok_len = 1;
            return i;
        }
        if (kind == 1) {
            Py_ssize_t start = i;
            i += n;
            while (i < len && char_kind(s, i, len, &n) == 1) i += n;
            *pos = i;
            *tok_len = i - start;
            return start;
        }
        i += n;
    }
    *pos = len;
    return -1;
}

/* whether Index.__init__ ran (else a RuntimeError is set) */
static int ready(const Index *self) {
    if (self->tok_slot != NULL) return 1;
    PyErr_SetString(PyExc_RuntimeError, "Index is not initialised");
    return 0;
}

static inline void add_row(double *dst, const double *src, Py_ssize_t k) {
    for (Py_ssize_t j = 0; j < k; j++) dst[j] += src[j];
}

/* scores(data: bytes, n: int) -> bytearray of n*k float64: the summed n-gram weights of each turn */
static PyObject *Index_scores(Index *self, PyObject *args) {
    Py_buffer data;
    Py_ssize_t n;
    if (!ready(self)) return NULL;
    if (!PyArg_ParseTuple(args, "y*n", &data, &n)) return NULL;
    if (n < 0) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_ValueError, "the number of turns must be >= 0");
        return NULL;
    }
    const Py_ssize_t k = self->k;
    PyObject *out = PyByteArray_FromStringAndSize(NULL, n * k * (Py_ssize_t)sizeof(double));
    if (out == NULL) {
        PyBuffer_Release(&data);
        return NULL;
    }
    double *z = (double *)PyByteArray_AS_STRING(out);
    memset(z, 0, (size_t)(n * k) * sizeof(double));
    const unsigned char *s = (const unsigned char *)data.buf;
    const Py_ssize_t len = data.len;
    Py_ssize_t row = 0, pos = 0, start, n_tok;
    int32_t prev = -1;
    Py_BEGIN_ALLOW_THREADS
    while ((start = next_token(s, len, &pos, &n_tok)) >= 0) {
        if (s[start] == 0x1e) {
            row++;
            prev = -1;
            continue;
        }
        int32_t id = lookup(self, s + start, n_tok);
        if (id >= 0 && row < n) {
            add_row(z + row * k, self->uni_w + (Py_ssize_t)id * k, k);
            if (prev >= 0) {
                int32_t r = bigram(self, (uint64_t)prev * (uint64_t)self->v + (uint64_t)id);
                if (r >= 0) add_row(z + row * k, self->bi_w + (Py_ssize_t)r * k, k);
            }
        }
        prev = id;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&data);
    return out;
}

/* best(data: bytes, col: int) -> (j, width) or None: the token (width 1) or token pair (width 2, starting
 * at token j) of one turn (UTF-8) with the highest positive weight for label column ``col``; on a tie the
 * first one reading the turn, a word before the pair it ends (learned._evidence) */
static PyObject *Index_best(Index *self, PyObject *args) {
    Py_buffer data;
    Py_ssize_t col;
    if (!ready(self)) return NULL;
    if (!PyArg_ParseTuple(args, "y*n", &data, &col)) return NULL;
    if (col < 0 || col >= self->k) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_ValueError, "label column out of range");
        return NULL;
    }
    const unsigned char *s = (const unsigned char *)data.buf;
    const Py_ssize_t len = data.len, k = self->k;
    double best_uni = 0.0, best_bi = 0.0;
    Py_ssize_t j_uni = -1, j_bi = -1, j = 0, pos = 0, start, n_tok;
    int32_t prev = -1;
    while ((start = next_token(s, len, &pos, &n_tok)) >= 0) {
        int32_t id = s[start] == 0x1e ? -1 : lookup(self, s + start, n_tok);
        if (id >= 0) {
            double w = self->uni_w[(Py_ssize_t)id * k + col];
            if (w > best_uni) {
                best_uni = w;
                j_uni = j;
            }
            if (prev >= 0) {
                int32_t r = bigram(self, (uint64_t)prev * (uint64_t)self->v + (uint64_t)id);
                if (r >= 0) {
                    double wb = self->bi_w[(Py_ssize_t)r * k + col];
                    if (wb > best_bi) {
                        best_bi = wb;
                        j_bi = j;  /* the pair ends at token j */
                    }
                }
            }
        }
        prev = id;
        j++;
    }
    PyBuffer_Release(&data);
    if (j_uni < 0 && j_bi < 0) Py_RETURN_NONE;
    Py_ssize_t ju = j_uni < 0 ? j : j_uni, jb = j_bi < 0 ? j : j_bi;
    if (best_uni > best_bi || (best_uni == best_bi && ju <= jb)) return Py_BuildValue("(nn)", ju, (Py_ssize_t)1);
    return Py_BuildValue("(nn)", jb - 1, (Py_ssize_t)2);
}

static PyMethodDef Index_methods[] = {
    {"best", (PyCFunction)Index_best, METH_VARARGS,
     "best(data, col) -> (j, width) or None: the heaviest positive token or token pair for a label"},
    {"scores", (PyCFunction)Index_scores, METH_VARARGS,
     "scores(data, n) -> bytearray of n*k float64: summed n-gram weights per turn"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject IndexType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "miroir.language._fastlayer.Index",
    .tp_basicsize = sizeof(Index),
    .tp_dealloc = (destructor)Index_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The learned layer's n-gram weights, for one-pass scoring of a chunk.",
    .tp_methods = Index_methods,
    .tp_init = (initproc)Index_init,
    .tp_new = PyType_GenericNew,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastlayer", "Optional accelerator of the learned layer's n-gram scores.", -1, NULL,
};

PyMODINIT_FUNC PyInit__fastlayer(void) {
    if (PyType_Ready(&IndexType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&IndexType);
    if (PyModule_AddObject(m, "Index", (PyObject *)&IndexType) < 0) {
        Py_DECREF(&IndexType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

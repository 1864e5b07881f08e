#!/usr/bin/env python3
"""Prints 1,000 realistic search queries for the generated data set (`dateline generate`), most
popular first: conditions, drugs and their brand names (found through the demo's synonym sets),
conditions with treatments or outcomes, journals, lay terms and common misspellings (found
through spelling correction). Deterministic: the same list every run."""
import itertools

CONDITIONS = ["type 2 diabetes", "breast cancer", "heart failure", "high blood pressure", "depression",
              "asthma", "migraine", "osteoporosis", "psoriasis", "Parkinson's disease", "chronic kidney disease",
              "atrial fibrillation", "colorectal cancer", "lung cancer", "HIV", "influenza", "long COVID",
              "rheumatoid arthritis", "obesity", "Alzheimer's disease", "prostate cancer", "stroke", "anxiety",
              "sleep apnoea", "hepatitis C", "melanoma"]
TREATMENTS = ["diet", "aspirin", "antibody", "cognitive behavioural therapy", "metformin", "injection",
              "walking", "vitamin D", "Mediterranean diet", "statins", "immunotherapy", "app",
              "strength training", "mRNA vaccine", "trastuzumab", "mindfulness", "salt substitute",
              "implanted device", "radiotherapy"]
OUTCOMES = ["hospital admission", "symptoms", "relapse", "deaths", "blood sugar", "flare-ups", "remission",
            "pain", "progression"]
JOURNALS = ["lancet", "new england journal of medicine", "jama", "bmj", "nature medicine",
            "annals of internal medicine", "diabetes care", "journal of clinical oncology",
            "european heart journal", "asco"]
# Other names the demo's synonym sets know.
SYNONYMS = ["herceptin", "glucophage", "hypertension", "flu", "bowel cancer", "colon cancer", "afib",
            "sleep apnea", "randomized trial", "cerebrovascular accident", "tumor", "keytruda",
            "pembrolizumab", "opdivo", "acetylsalicylic acid", "lipitor", "crestor", "atorvastatin"]
# Misspellings a reader makes; each has a close word in the stories.
MISSPELLINGS = ["trastuzamab", "metfromin", "diabetis", "psoriasus", "melanomma", "asthama", "migrane",
                "osteoporsis", "alzheimers diseese", "parkinsons diseas", "rheumatiod arthritis", "immunotheraphy",
                "radiotheraphy", "obesty", "depresion", "anxeity", "influensa", "hepatitis c virus",
                "stroek", "mediteranean diet", "vitamine d", "statines", "remision", "symtoms"]
DESIGNS = ["randomised trial", "cohort study", "meta-analysis", "case-control study", "hospital records",
           "pooled analysis"]

def queries():
    seen = set()
    def add(q):
        q = " ".join(q.split())
        if q.lower() not in seen:
            seen.add(q.lower())
            yield q
    heads = CONDITIONS[:8] + TREATMENTS[:6] + SYNONYMS[:6] + MISSPELLINGS[:6]
    for q in heads:
        yield from add(q)
    for q in itertools.chain(CONDITIONS, TREATMENTS, SYNONYMS, MISSPELLINGS, OUTCOMES, JOURNALS, DESIGNS):
        yield from add(q)
    for c, t in itertools.product(CONDITIONS, TREATMENTS):
        yield from add(f"{c} {t}")
    for c, o in itertools.product(CONDITIONS, OUTCOMES):
        yield from add(f"{c} {o}")
    for t, o in itertools.product(TREATMENTS, OUTCOMES):
        yield from add(f"{t} {o}")
    for c, j in itertools.product(CONDITIONS, JOURNALS):
        yield from add(f"{c} {j}")

if __name__ == "__main__":
    out = list(itertools.islice(queries(), 1000))
    assert len(out) == 1000, len(out)
    print("\n".join(out))

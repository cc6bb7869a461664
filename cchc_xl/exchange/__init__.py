"""The school → Sở exchange file: its format (:mod:`.spec`), writer (:mod:`.writer`) and reader (:mod:`.reader`)."""

// Header-only module; see include/CFileSync.h.

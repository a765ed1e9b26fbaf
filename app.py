"""Home: open or create a workspace, load the sample, see what is loaded.

Run with ``streamlit run app.py``; the other pages live in ``pages/``.
"""

from stockcycle.ui import error_boundary, start_page
from stockcycle.ui.home import main

start_page("Home")
with error_boundary():
    main()

"""Every ``st.session_state`` key of GMM Explorer: the one place that names keys.

Two kinds:

* **data keys** (plain names) hold what the user has made -- the loaded
  :class:`ui.dataset.Dataset`, the bytes of the last upload, each page's
  remembered settings -- and live for the whole session, whichever page is open;
* **widget keys** (``W_`` constants, ``w_`` values) belong to widgets.
  Streamlit forgets a widget's value when the user leaves its page, so a page
  seeds its widgets from the data keys with :func:`ui.session.seed_widget` and
  writes changes back to them with :func:`ui.session.remember`.

The string values are part of the app's behaviour (the tests and the browser
address widgets by them): rename a constant freely, never its value.
"""

# --- data keys -----------------------------------------------------------------
DATASET = "dataset"                  # the loaded Dataset
UPLOAD = "upload"                    # (filename, bytes) of the last upload that loaded
UPLOAD_SEEN = "upload_seen"          # file_id of the last upload handled
UPLOAD_ERROR = "upload_error"        # message of the last failed upload, or None
PROJECT_SEEN = "project_seen"        # file_id of the last project file opened
COMPARE_SETTINGS = "compare_settings"  # last controls used on the Compare page
EM_SETTINGS = "em_settings"          # last controls used on the EM step by step page
EM_STEP = "em_step"                  # the EM page's current step (the slider shows it)
EM_SLIDER = "em_slider"              # generation of the step slider's key (ui.stepper.slider_key)
EM_PLAYING = "em_playing"            # Play is on: the step panel advances on a timer
EM_RESTARTS = "em_restarts"          # (settings, n starts) of the restarts last run
EM_CHOSEN = "em_chosen"              # row positions clicked as the seeds of a start
CHOOSE_K_SETTINGS = "choose_k_settings"  # last controls used on the Choose k page
CHOOSE_K_APPLIED = "choose_k_applied"    # (k, covariance_type) last sent to Compare
SEGMENT_NAMES = "segment_names"      # {model key: {"edits": {j: name}, "names": (k names)}}
SHOWN_FITS = "shown_fits"            # slots of the fits shown on the loaded data (ui.session)
SEGMENT_MODEL = "segment_model"      # model key the name widgets were last seeded for
SAVED_ID = "saved_id"                # this session's id in the URL and the store (ui.saved)
ENTRY_RETRIED = "entry_retried"      # a page ran without app.py once: rerun through it (ui.session)
NOUNS = "nouns"                      # {dataset: what one row is, plural} ("customers")
SEGMENT_SLIDES = "segment_slides"    # slide mode on or off (app.py hides the navigation)
SEGMENT_SLIDE = "segment_slide"      # the slide shown, 0 = the title slide
SEGMENT_UNUSUAL = "segment_unusual"  # percent of rows flagged as unusual

# --- widget keys: Data page ----------------------------------------------------
W_UPLOAD = "w_upload"
W_MISSING = "w_missing"
W_DEMO = "w_demo"
W_DEMO_LOAD = "w_demo_load"
W_BLOB_K = "w_blob_k"
W_BLOB_N = "w_blob_n"
W_BLOB_ELONGATION = "w_blob_elongation"
W_BLOB_ROTATION = "w_blob_rotation"
W_BLOB_SEPARATION = "w_blob_separation"
W_BLOB_SEED = "w_blob_seed"
W_FEATURES = "w_features"
W_LABEL = "w_label"
W_SCALING = "w_scaling"
W_NOUN = "w_noun"
W_PROJECT = "w_project"
W_PROJECT_OPEN = "w_project_open"
#: Widgets that describe the loaded dataset.  Their keys are per dataset
#: (:func:`ui.session.dataset_key`): the browser keeps a widget's value under its
#: key, and a rerun that it sends before it has seen a new dataset's widgets
#: would otherwise apply the old dataset's choices (a label column, features)
#: to the new one.
DATASET_WIDGETS = (W_FEATURES, W_LABEL, W_SCALING, W_NOUN)

# --- widget keys: Compare page -------------------------------------------------
W_K = "w_k"
W_COVARIANCE = "w_covariance"
W_INIT = "w_init"
W_N_INIT = "w_n_init"
W_SEED = "w_seed"
W_VIEW = "w_view"
W_AXIS_X = "w_axis_x"
W_AXIS_Y = "w_axis_y"
W_REGIONS = "w_regions"
W_GMM_SHADE = "w_gmm_shade"
W_DISAGREE = "w_disagree"
W_LEVELS = "w_levels"

# --- widget keys: EM step by step page ------------------------------------------
W_EM_K = "w_em_k"
W_EM_COVARIANCE = "w_em_covariance"
W_EM_INIT = "w_em_init"
W_EM_SEED = "w_em_seed"
W_EM_STEP = "w_em_step"              # + "_<generation>": the step slider (ui.stepper.slider_key)
W_EM_BACK = "w_em_back"
W_EM_FORWARD = "w_em_forward"
W_EM_ROW = "w_em_row"                # the row to explain, by row key
W_EM_PLAY = "w_em_play"
W_EM_PAUSE = "w_em_pause"
W_EM_CHART = "w_em_chart"            # the step chart (a selection widget: click a point)
W_EM_CLEAR = "w_em_clear"            # forget the clicked start
W_EM_RESTARTS = "w_em_restarts"      # how many starts to run side by side
W_EM_RESTARTS_RUN = "w_em_restarts_run"
W_EM_PICK = "w_em_pick_"             # + optimum index: step through that restart
W_EM_VIEW = "w_em_view"
W_EM_AXIS_X = "w_em_axis_x"
W_EM_AXIS_Y = "w_em_axis_y"

# --- widget keys: Choose k page --------------------------------------------------
W_CK_KMAX = "w_ck_kmax"
W_CK_TYPES = "w_ck_types"
W_CK_N_INIT = "w_ck_n_init"
W_CK_SEED = "w_ck_seed"
W_CK_APPLY = "w_ck_apply"
W_CK_CRITERION = "w_ck_criterion"
W_CK_STABILITY = "w_ck_stability"

# --- widget keys: Segments page ----------------------------------------------------
W_SEG_NAME = "w_seg_name_"           # + segment index: the name text inputs
W_SLIDES_START = "w_slides_start"
W_SLIDES_BACK = "w_slides_back"
W_SLIDES_NEXT = "w_slides_next"
W_SLIDES_LEAVE = "w_slides_leave"
W_SEG_UNUSUAL = "w_seg_unusual"
W_SEG_SKIP_FILLED = "w_seg_skip_filled"
W_SEG_COLUMNS = "w_seg_columns"
W_SEG_VIEW = "w_seg_view"
W_SEG_AXIS_X = "w_seg_axis_x"
W_SEG_AXIS_Y = "w_seg_axis_y"
W_SEG_CSV = "w_seg_csv"
W_SEG_JSON = "w_seg_json"
W_SEG_HTML = "w_seg_html"
W_SEG_PNG = "w_seg_png"
W_SEG_PROJECT = "w_seg_project"
